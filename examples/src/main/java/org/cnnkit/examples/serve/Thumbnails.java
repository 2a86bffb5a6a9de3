package org.cnnkit.examples.serve;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.ImageIO;
import org.cnnkit.core.image.ImageDecoder;

/**
 * Small JPEG previews of indexed images, at most {@link #SIZE} pixels on the longer side, kept in a bounded
 * least-recently-used cache (entries of a few kilobytes each).
 */
final class Thumbnails {

    /** The longer side of a thumbnail, in pixels. */
    static final int SIZE = 256;

    private final ImageDecoder decoder;
    private final Map<Path, byte[]> cache;

    Thumbnails(ImageDecoder decoder, int maxEntries) {
        this.decoder = decoder;
        this.cache = new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Path, byte[]> eldest) {
                return size() > maxEntries;
            }
        };
    }

    /**
     * Returns the thumbnail of an image file as JPEG bytes.
     *
     * @throws org.cnnkit.core.image.ImageDecodingException if the file cannot be decoded
     */
    byte[] of(Path file) {
        synchronized (cache) {
            byte[] cached = cache.get(file);
            if (cached != null) {
                return cached;
            }
        }
        byte[] jpeg = render(decoder.read(file));
        synchronized (cache) {
            cache.put(file, jpeg);
        }
        return jpeg;
    }

    private static byte[] render(BufferedImage image) {
        double scale = Math.min(1.0, (double) SIZE / Math.max(image.getWidth(), image.getHeight()));
        BufferedImage current = toRgb(image);
        int width = Math.max(1, (int) Math.round(image.getWidth() * scale));
        int height = Math.max(1, (int) Math.round(image.getHeight() * scale));
        // Halve in steps while more than twice too large: bilinear sampling alone would skip source pixels.
        while (current.getWidth() / 2 >= width && current.getHeight() / 2 >= height) {
            current = scaled(current, current.getWidth() / 2, current.getHeight() / 2);
        }
        BufferedImage thumbnail = scaled(current, width, height);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(thumbnail, "jpeg", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static BufferedImage toRgb(BufferedImage image) {
        if (image.getType() == BufferedImage.TYPE_INT_RGB) {
            return image;
        }
        return scaled(image, image.getWidth(), image.getHeight());
    }

    private static BufferedImage scaled(BufferedImage image, int width, int height) {
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
        g.drawImage(image, 0, 0, width, height, java.awt.Color.WHITE, null);
        g.dispose();
        return out;
    }
}
