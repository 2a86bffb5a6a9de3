package org.cnnkit.core.plot;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import javax.imageio.ImageIO;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.io.AtomicFiles;
import org.jfree.chart.JFreeChart;

/**
 * Writes a chart to a PNG or SVG file (by the file name's extension), atomically: a reader sees the old picture or
 * the complete new one. Drawing is headless: it needs no display.
 */
public final class ChartFile {

    private ChartFile() {
    }

    /**
     * Draws a chart into a file of the given size.
     *
     * @param chart the chart
     * @param file the file to write or replace, ending in {@code .png} or {@code .svg}; its folder is created
     * @param width the width in pixels
     * @param height the height in pixels
     * @throws CnnkitException if the extension is neither, the size is not positive, the SVG library is missing or
     *     the file cannot be written (the message names the file)
     */
    public static void write(JFreeChart chart, Path file, int width, int height) {
        Objects.requireNonNull(chart, "chart");
        Objects.requireNonNull(file, "file");
        if (width < 1 || height < 1) {
            throw new CnnkitException("a picture needs a positive size, got " + width + " x " + height);
        }
        ChartFormat format = ChartFormat.of(file);
        ChartLibrary.require(format);
        try {
            if (format == ChartFormat.PNG) {
                BufferedImage image = render(chart, width, height);
                AtomicFiles.write(file, out -> {
                    if (!ImageIO.write(image, "png", out)) {
                        throw new IOException("no PNG writer available");
                    }
                });
            } else {
                byte[] svg = SvgDocument.render(chart, width, height);
                AtomicFiles.write(file, svg);
            }
        } catch (IOException e) {
            throw new CnnkitException("cannot write the picture " + file + ": " + e.getMessage(), e);
        } catch (NoClassDefFoundError e) {
            throw ChartLibrary.missing(e);
        }
    }

    /**
     * Draws a chart into an image, with anti-aliased lines and text.
     *
     * @param chart the chart
     * @param width the width in pixels
     * @param height the height in pixels
     * @return an opaque RGB image
     */
    public static BufferedImage render(JFreeChart chart, int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            chart.draw(g, new Rectangle2D.Double(0, 0, width, height));
        } finally {
            g.dispose();
        }
        return image;
    }
}
