package org.cnnkit.retrieval;

import org.cnnkit.core.io.AtomicFiles;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.imageio.ImageIO;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.ImageDecoder;

/**
 * Draws a search result as a picture: the query in the first row, its matches in the second row in rank order,
 * each from the original image file (not the network's preprocessed input), scaled to fit a square panel with
 * its aspect ratio kept, and captioned with the file name (and, for matches, the rank and distance). The
 * picture is exactly as wide as the panels it holds: no empty panels.
 */
public final class ContactSheet {

    /** Default panel side, in pixels. */
    public static final int DEFAULT_PANEL_SIZE = 200;
    static final int MARGIN = 8;
    static final int CAPTION_HEIGHT = 36;
    static final Color BACKGROUND = Color.WHITE;

    private final int panelSize;
    private final ImageDecoder decoder;

    /**
     * Creates a contact sheet painter.
     *
     * @param panelSize the side of each image panel in pixels, at least 32
     * @throws IllegalArgumentException if {@code panelSize} is below 32
     */
    public ContactSheet(int panelSize) {
        if (panelSize < 32) {
            throw new IllegalArgumentException("panel size must be at least 32 pixels, got " + panelSize);
        }
        this.panelSize = panelSize;
        this.decoder = new ImageDecoder();
    }

    /** Creates a painter with {@value #DEFAULT_PANEL_SIZE}-pixel panels. */
    public ContactSheet() {
        this(DEFAULT_PANEL_SIZE);
    }

    /**
     * Draws the query and its matches.
     *
     * @param query the query image file
     * @param matches the matches, nearest first (may be empty)
     * @return the picture: {@code max(1, matches)} panels wide, two rows high
     * @throws org.cnnkit.core.image.ImageDecodingException if an image cannot be read
     */
    public BufferedImage render(Path query, List<ImageSearch.ImageMatch> matches) {
        Objects.requireNonNull(query, "query");
        Objects.requireNonNull(matches, "matches");
        int columns = Math.max(1, matches.size());
        int cell = panelSize + MARGIN;
        int width = MARGIN + columns * cell;
        int rowHeight = panelSize + CAPTION_HEIGHT + MARGIN;
        int height = MARGIN + 2 * rowHeight;
        BufferedImage sheet = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = sheet.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(BACKGROUND);
            g.fillRect(0, 0, width, height);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, Math.max(10, Math.min(14, panelSize / 14))));
            drawPanel(g, decoder.read(query), MARGIN, MARGIN, "query: " + name(query), null);
            for (int i = 0; i < matches.size(); i++) {
                ImageSearch.ImageMatch match = matches.get(i);
                String distance = String.format(Locale.ROOT, "#%d  distance %.4g", i + 1, match.distance());
                drawPanel(g, decoder.read(match.file()), MARGIN + i * cell, MARGIN + rowHeight, name(match.file()), distance);
            }
        } finally {
            g.dispose();
        }
        return sheet;
    }

    /**
     * Draws the query and its matches and writes the picture as a PNG, atomically.
     *
     * @param query the query image file
     * @param matches the matches, nearest first
     * @param png where to write
     * @throws CnnkitException if the file cannot be written
     * @throws org.cnnkit.core.image.ImageDecodingException if an image cannot be read
     */
    public void write(Path query, List<ImageSearch.ImageMatch> matches, Path png) {
        BufferedImage sheet = render(query, matches);
        Path target = png.toAbsolutePath();
        try {
            AtomicFiles.write(target, out -> {
                if (!ImageIO.write(sheet, "png", out)) {
                    throw new IOException("no PNG writer available");
                }
            });
        } catch (IOException e) {
            throw new CnnkitException("cannot write picture " + target + ": " + e.getMessage(), e);
        }
    }

    private void drawPanel(Graphics2D g, BufferedImage image, int x, int y, String caption, String detail) {
        double scale = Math.min((double) panelSize / image.getWidth(), (double) panelSize / image.getHeight());
        int w = Math.max(1, (int) Math.round(image.getWidth() * scale));
        int h = Math.max(1, (int) Math.round(image.getHeight() * scale));
        g.setColor(new Color(235, 235, 235));
        g.fillRect(x, y, panelSize, panelSize);
        g.drawImage(image, x + (panelSize - w) / 2, y + (panelSize - h) / 2, w, h, null);
        g.setColor(Color.BLACK);
        FontMetrics metrics = g.getFontMetrics();
        int line = metrics.getAscent() + 2;
        g.drawString(fit(caption, metrics), x, y + panelSize + line);
        if (detail != null) {
            g.drawString(fit(detail, metrics), x, y + panelSize + 2 * line);
        }
    }

    private String fit(String text, FontMetrics metrics) {
        if (metrics.stringWidth(text) <= panelSize) {
            return text;
        }
        String shortened = text;
        while (shortened.length() > 1 && metrics.stringWidth("…" + shortened) > panelSize) {
            shortened = shortened.substring(1);
        }
        return "…" + shortened;
    }

    private static String name(Path file) {
        Path name = file.getFileName();
        return name == null ? file.toString() : name.toString();
    }
}
