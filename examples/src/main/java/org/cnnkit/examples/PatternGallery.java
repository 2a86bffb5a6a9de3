package org.cnnkit.examples;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.Polygon;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.cnnkit.core.CnnkitException;

/**
 * The embedded default image database of the retrieval example: pictures the project draws itself, in families of
 * shapes, textures and colour patterns, each picture a random variation (colours, counts, sizes, positions,
 * angles) of its family. Written as PNG files, one folder per family, so that the folder is also a labelled set
 * for {@code evaluate-retrieval}.
 *
 * <p>The same seed always gives the same pictures.
 */
public final class PatternGallery {

    /** The families, one folder each. */
    public static final List<String> FAMILIES = List.of(
            "circles", "stripes", "checkerboard", "rings", "triangles", "gradient", "dots", "waves");

    private PatternGallery() {
    }

    /**
     * Writes {@code perFamily} pictures of every family under {@code folder}: {@code folder/<family>/<family>-NN.png}.
     *
     * @param folder the root folder, created when missing
     * @param perFamily pictures per family, at least 1
     * @param size the side of each square picture in pixels, at least 16
     * @param seed the random seed
     * @return the number of files written
     * @throws CnnkitException if a file cannot be written
     * @throws IllegalArgumentException if a count or size is too small
     */
    public static int write(Path folder, int perFamily, int size, long seed) {
        if (perFamily < 1 || size < 16) {
            throw new IllegalArgumentException("need at least 1 picture per family and 16 pixels, got "
                    + perFamily + " and " + size);
        }
        int written = 0;
        for (int f = 0; f < FAMILIES.size(); f++) {
            String family = FAMILIES.get(f);
            Path dir = folder.resolve(family);
            try {
                Files.createDirectories(dir);
                for (int i = 0; i < perFamily; i++) {
                    Random random = new Random(seed * 1_000_003L + f * 1_009L + i);
                    BufferedImage image = draw(family, size, random);
                    ImageIO.write(image, "png", dir.resolve(String.format("%s-%02d.png", family, i)).toFile());
                    written++;
                }
            } catch (IOException e) {
                throw new CnnkitException("cannot write the pattern gallery into " + dir + ": " + e.getMessage(), e);
            }
        }
        return written;
    }

    /**
     * Draws one picture of a family.
     *
     * @param family one of {@link #FAMILIES}
     * @param size the side in pixels
     * @param random the source of variation
     * @return the picture
     * @throws IllegalArgumentException if the family is unknown
     */
    public static BufferedImage draw(String family, int size, Random random) {
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        Color background = pastel(random);
        g.setColor(background);
        g.fillRect(0, 0, size, size);
        switch (family) {
            case "circles" -> {
                int count = 1 + random.nextInt(4);
                for (int i = 0; i < count; i++) {
                    int r = size / 8 + random.nextInt(size / 4);
                    g.setColor(vivid(random));
                    g.fillOval(random.nextInt(size - r), random.nextInt(size - r), r, r);
                }
            }
            case "stripes" -> {
                int width = size / 16 + random.nextInt(size / 10);
                g.setColor(vivid(random));
                g.setTransform(AffineTransform.getRotateInstance(random.nextDouble() * Math.PI, size / 2.0, size / 2.0));
                for (int x = -size; x < 2 * size; x += 2 * width) {
                    g.fillRect(x, -size, width, 3 * size);
                }
            }
            case "checkerboard" -> {
                int cell = size / 10 + random.nextInt(size / 6);
                Color a = vivid(random);
                g.setTransform(AffineTransform.getRotateInstance(random.nextInt(2) * Math.PI / 4, size / 2.0, size / 2.0));
                for (int y = -size; y < 2 * size; y += cell) {
                    for (int x = -size; x < 2 * size; x += cell) {
                        if (((x + y) / cell) % 2 == 0) {
                            g.setColor(a);
                            g.fillRect(x, y, cell, cell);
                        }
                    }
                }
            }
            case "rings" -> {
                g.setColor(vivid(random));
                int cx = size / 3 + random.nextInt(size / 3);
                int cy = size / 3 + random.nextInt(size / 3);
                int step = size / 14 + random.nextInt(size / 14);
                g.setStroke(new BasicStroke(step / 2f));
                for (int r = step; r < size; r += step) {
                    g.drawOval(cx - r, cy - r, 2 * r, 2 * r);
                }
            }
            case "triangles" -> {
                int count = 1 + random.nextInt(3);
                for (int i = 0; i < count; i++) {
                    int s = size / 4 + random.nextInt(size / 3);
                    int x = random.nextInt(size - s);
                    int y = random.nextInt(size - s) + s;
                    g.setColor(vivid(random));
                    g.fillPolygon(new Polygon(new int[] {x, x + s, x + s / 2}, new int[] {y, y, y - s}, 3));
                }
            }
            case "gradient" -> {
                double angle = random.nextDouble() * 2 * Math.PI;
                float dx = (float) (Math.cos(angle) * size / 2);
                float dy = (float) (Math.sin(angle) * size / 2);
                g.setPaint(new GradientPaint(size / 2f - dx, size / 2f - dy, vivid(random),
                        size / 2f + dx, size / 2f + dy, vivid(random)));
                g.fillRect(0, 0, size, size);
            }
            case "dots" -> {
                int step = size / 12 + random.nextInt(size / 12);
                int r = Math.max(2, step / 3);
                g.setColor(vivid(random));
                int offset = random.nextInt(step);
                for (int y = offset; y < size; y += step) {
                    for (int x = offset; x < size; x += step) {
                        g.fillOval(x - r, y - r, 2 * r, 2 * r);
                    }
                }
            }
            case "waves" -> {
                g.setColor(vivid(random));
                g.setStroke(new BasicStroke(2f + random.nextInt(4)));
                double period = size / (2.0 + random.nextInt(4));
                double amplitude = size / 20.0 + random.nextInt(size / 12);
                int gap = size / 8 + random.nextInt(size / 10);
                for (int base = gap / 2; base < size; base += gap) {
                    int previousY = base;
                    for (int x = 1; x < size; x++) {
                        int y = (int) Math.round(base + amplitude * Math.sin(2 * Math.PI * x / period));
                        g.drawLine(x - 1, previousY, x, y);
                        previousY = y;
                    }
                }
            }
            default -> throw new IllegalArgumentException("unknown pattern family '" + family + "'; known: " + FAMILIES);
        }
        g.dispose();
        return image;
    }

    private static Color vivid(Random random) {
        return Color.getHSBColor(random.nextFloat(), 0.6f + 0.4f * random.nextFloat(), 0.5f + 0.4f * random.nextFloat());
    }

    private static Color pastel(Random random) {
        return Color.getHSBColor(random.nextFloat(), 0.1f + 0.15f * random.nextFloat(), 0.9f + 0.1f * random.nextFloat());
    }
}
