package org.cnnkit.core.image;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.FileImageInputStream;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Reads image files (PNG, JPEG, BMP, GIF: whatever {@link ImageIO} reads) and turns them into the
 * channel-first float pixels a model takes.
 *
 * <p>What it does, step by step:
 * <ul>
 *   <li>Guard: the image size is read from the file header first, and an image of more than
 *       {@link #maxPixels()} pixels is refused before any pixel memory is allocated (decompression bombs).</li>
 *   <li>Decoding: the first frame (animated GIF); a file that is empty, not an image, corrupt or truncated
 *       is refused with an {@link ImageDecodingException} naming the path and the cause. A truncated JPEG,
 *       which the JDK would fill with gray and report only as a warning, is refused too.</li>
 *   <li>Channels: to the shape's 1 (gray) or 3 (RGB) channels. Alpha is dropped, keeping the colour under
 *       it (as Keras' {@code load_img}, i.e. Pillow's {@code convert("RGB")}); gray to RGB repeats the
 *       value; RGB to gray is the ITU-R 601-2 luma {@code 0.299 R + 0.587 G + 0.114 B}; palette, 16-bit
 *       (scaled to 8-bit range), CMYK ({@code R = (255 - C)(255 - K) / 255}, as Pillow) and other colour
 *       spaces (through Java2D) are converted.</li>
 *   <li>Resize: to the shape's height x width with a bilinear (triangle) filter that widens when shrinking,
 *       so downscaling averages every source pixel (antialiased, as Pillow's {@code BILINEAR}); the aspect
 *       ratio is not kept (as Keras' {@code target_size}). Images of more than 4 megapixels are resized
 *       row by row, so that decoding a large photo holds its 8-bit pixels but never a float copy of them.</li>
 *   <li>Values: rounded to whole numbers in [0, 255], as an 8-bit image after resizing, so that pixels
 *       cached as bytes are exactly the decoded ones.</li>
 * </ul>
 *
 * <p>Instances are immutable and thread-safe: every call uses its own ImageIO reader.
 */
public final class ImageDecoder {

    /** The default pixel limit: 100 megapixels (e.g. 10000 x 10000). */
    public static final long DEFAULT_MAX_PIXELS = 100_000_000L;

    /** The formats read, by ImageIO format name; others that ImageIO knows (WBMP, TIFF) are refused. */
    private static final Set<String> FORMATS = Set.of("png", "jpeg", "bmp", "gif");

    /** Above this many source pixels, images are resized row by row (bounded float memory). */
    static final long STREAMING_PIXELS = 4_000_000L;

    private final long maxPixels;

    /** Creates a decoder with the default pixel limit, {@value #DEFAULT_MAX_PIXELS} pixels. */
    public ImageDecoder() {
        this(DEFAULT_MAX_PIXELS);
    }

    /**
     * Creates a decoder with a pixel limit.
     *
     * @param maxPixels the largest width x height accepted
     * @throws IllegalArgumentException if {@code maxPixels} is not positive
     */
    public ImageDecoder(long maxPixels) {
        if (maxPixels < 1) {
            throw new IllegalArgumentException("maxPixels must be positive, got " + maxPixels);
        }
        this.maxPixels = maxPixels;
    }

    /** {@return a builder, for callers who prefer the builder style} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return the largest width x height this decoder accepts} */
    public long maxPixels() {
        return maxPixels;
    }

    /**
     * Reads an image file's original pixels (the first frame of an animated GIF).
     *
     * @param file the image file
     * @return the decoded image, as ImageIO gives it
     * @throws ImageDecodingException if the file is missing, empty, not a readable image, corrupt,
     *     truncated, or larger than {@link #maxPixels()}; the message names the path and the cause
     */
    public BufferedImage read(Path file) {
        Objects.requireNonNull(file, "file");
        if (!Files.isRegularFile(file)) {
            throw new ImageDecodingException(file, Files.exists(file) ? "not a regular file" : "no such file");
        }
        try {
            if (Files.size(file) == 0) {
                throw new ImageDecodingException(file, "the file is empty (0 bytes)");
            }
            try (ImageInputStream in = new FileImageInputStream(file.toFile())) {
                ImageReader reader = readerFor(file, in);
                try {
                    return read(file, in, reader);
                } finally {
                    reader.dispose();
                }
            }
        } catch (ImageDecodingException e) {
            throw e;
        } catch (IOException e) {
            throw new ImageDecodingException(file, describe(e), e);
        } catch (RuntimeException e) {
            // ImageIO plug-ins throw unchecked exceptions on some damaged files (index out of bounds, ...)
            throw new ImageDecodingException(file, "damaged image data (" + describe(e) + ")", e);
        }
    }

    /**
     * Reads an image's original pixels from its encoded bytes (the content of a file read elsewhere, for example by
     * a distributed file system), with the same checks as {@link #read(Path)}.
     *
     * @param name the image's name or path, used in error messages only
     * @param content the encoded image (PNG, JPEG, BMP, GIF)
     * @return the decoded image, as ImageIO gives it
     * @throws ImageDecodingException if the content is empty, not a readable image, corrupt, truncated, or larger
     *     than {@link #maxPixels()}; the message names {@code name} and the cause
     */
    public BufferedImage read(Path name, byte[] content) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(content, "content");
        if (content.length == 0) {
            throw new ImageDecodingException(name, "the file is empty (0 bytes)");
        }
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(content))) {
            ImageReader reader = readerFor(name, in);
            try {
                return read(name, in, reader);
            } finally {
                reader.dispose();
            }
        } catch (ImageDecodingException e) {
            throw e;
        } catch (IOException e) {
            throw new ImageDecodingException(name, describe(e), e);
        } catch (RuntimeException e) {
            throw new ImageDecodingException(name, "damaged image data (" + describe(e) + ")", e);
        }
    }

    /** The first reader of an accepted format that recognises the content (not the name). */
    private static ImageReader readerFor(Path file, ImageInputStream in) {
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        String other = null;
        while (readers.hasNext()) {
            ImageReader reader = readers.next();
            String format = formatOf(reader);
            if (FORMATS.contains(format)) {
                return reader;
            }
            other = other == null ? format : other;
            reader.dispose();
        }
        throw new ImageDecodingException(file, "not an image in a readable format (PNG, JPEG, BMP, GIF)"
                + (other == null ? "" : "; the content looks like " + other.toUpperCase(Locale.ROOT)));
    }

    private static String formatOf(ImageReader reader) {
        try {
            return reader.getFormatName().toLowerCase(Locale.ROOT);
        } catch (IOException e) {
            return "unknown";
        }
    }

    private BufferedImage read(Path file, ImageInputStream in, ImageReader reader) throws IOException {
        reader.setInput(in, true, true);
        long width = reader.getWidth(0);
        long height = reader.getHeight(0);
        if (width < 1 || height < 1) {
            throw new ImageDecodingException(file, "the header gives an empty size " + width + "x" + height);
        }
        if (width * height > maxPixels) {
            throw new ImageDecodingException(file, "the header gives " + width + "x" + height + " = "
                    + width * height + " pixels, more than the limit of " + maxPixels
                    + " pixels (refused before decoding)");
        }
        List<String> warnings = new ArrayList<>();
        reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
        BufferedImage image = reader.read(0);
        for (String warning : warnings) {
            if (isTruncation(warning)) {
                throw new ImageDecodingException(file, "truncated or damaged image data (" + warning + ")");
            }
        }
        return image;
    }

    /**
     * Whether an ImageIO warning means the pixels are incomplete: the JPEG reader only warns (and fills
     * the rest with gray) when the data ends early or is corrupt.
     */
    private static boolean isTruncation(String warning) {
        String text = warning.toLowerCase(Locale.ROOT);
        return text.contains("premature end") || text.contains("corrupt") || text.contains("truncat")
                || text.contains("unexpected end");
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        Throwable cause = e.getCause();
        if (cause != null && cause.getMessage() != null && !cause.getMessage().equals(message)) {
            message = (message == null ? "" : message + ": ") + cause.getMessage();
        }
        return message == null ? e.getClass().getSimpleName() : message;
    }

    /**
     * Reads, converts and resizes an image file to a model's input.
     *
     * @param file the image file
     * @param shape the model's input size and channels
     * @return {@code shape.values()} values, channel planes one after the other (CHW), RGB order, whole
     *     numbers in [0, 255]
     * @throws ImageDecodingException as {@link #read(Path)}
     */
    public float[] decode(Path file, InputShape shape) {
        return decode(read(file), shape);
    }

    /**
     * Converts and resizes a decoded image to a model's input.
     *
     * @param image the image
     * @param shape the model's input size and channels
     * @return {@code shape.values()} values, channel planes one after the other (CHW), RGB order, whole
     *     numbers in [0, 255]
     * @throws NullPointerException if an argument is null
     */
    public float[] decode(BufferedImage image, InputShape shape) {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(shape, "shape");
        int h = image.getHeight();
        int w = image.getWidth();
        float[] resized;
        if ((long) h * w > STREAMING_PIXELS) {
            // large photo: resize while reading rows, never holding it whole as floats (4 bytes per value)
            resized = Resampler.resizeRows(PixelExtractor.rowReader(image, shape.channels()), shape.channels(),
                    h, w, shape.height(), shape.width());
        } else {
            float[] planes = PixelExtractor.toPlanar(image, shape.channels());
            resized = Resampler.resize(planes, shape.channels(), h, w, shape.height(), shape.width());
        }
        for (int i = 0; i < resized.length; i++) {
            float v = resized[i];
            // round half up to a whole number in [0, 255] (cast truncation is floor for v + 0.5 >= 0)
            resized[i] = v <= 0f ? 0f : v >= 255f ? 255f : (float) (int) (v + 0.5f);
        }
        return resized;
    }

    @Override
    public String toString() {
        return "ImageDecoder[maxPixels=" + maxPixels + "]";
    }

    /** Builds an {@link ImageDecoder}. */
    public static final class Builder {

        private long maxPixels = DEFAULT_MAX_PIXELS;

        private Builder() {
        }

        /**
         * Sets the pixel limit (default {@value ImageDecoder#DEFAULT_MAX_PIXELS}).
         *
         * @param maxPixels the largest width x height accepted
         * @return this builder
         */
        public Builder optMaxPixels(long maxPixels) {
            this.maxPixels = maxPixels;
            return this;
        }

        /**
         * Builds the decoder.
         *
         * @return the decoder
         * @throws IllegalArgumentException if the pixel limit is not positive
         */
        public ImageDecoder build() {
            return new ImageDecoder(maxPixels);
        }
    }
}
