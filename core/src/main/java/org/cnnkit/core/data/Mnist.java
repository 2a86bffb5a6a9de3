package org.cnnkit.core.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.cnnkit.core.CnnkitException;

/**
 * Reads MNIST-style digits from a pair of IDX files (an image file and a label file).
 *
 * <p>Each file may be gzip-compressed ({@code .gz} as distributed) or raw: compression is recognised by the gzip
 * magic bytes {@code 1f 8b}, not by the file name. The image file must start with the IDX magic number 2051
 * (unsigned bytes, three dimensions: count, rows, columns); the label file with 2049 (unsigned bytes, one dimension).
 * Both must hold the same number of items, and exactly as many bytes as their headers declare.
 *
 * <pre>{@code
 * MnistDigits digits = Mnist.read(Path.of("t10k-images-idx3-ubyte.gz"), Path.of("t10k-labels-idx1-ubyte.gz"))
 *         .onlyClasses(List.of(0, 1, 2))
 *         .balancedLimit(300);
 * }</pre>
 */
public final class Mnist {

    /** The IDX magic number of an unsigned-byte, three-dimensional file: MNIST images. */
    public static final int IMAGES_MAGIC = 0x00000803;
    /** The IDX magic number of an unsigned-byte, one-dimensional file: MNIST labels. */
    public static final int LABELS_MAGIC = 0x00000801;

    /** Larger files than this are refused before anything is allocated (about 2 GB, a Java array's limit). */
    private static final long MAX_BYTES = Integer.MAX_VALUE - 64;

    private Mnist() {
    }

    /**
     * Reads an IDX image file and its label file.
     *
     * @param images the image file (magic 2051), gzip or raw
     * @param labels the label file (magic 2049), gzip or raw
     * @return the digits, in file order
     * @throws CnnkitException naming the file if a file is missing or unreadable, is not the expected IDX kind, is
     *     truncated or has trailing bytes, or if the two files hold different numbers of items
     */
    public static MnistDigits read(Path images, Path labels) {
        ImageBlock imageBlock = readImages(images);
        byte[] labelBytes = readLabels(labels);
        if (labelBytes.length != imageBlock.count()) {
            throw new CnnkitException("MNIST files disagree: " + images + " holds " + imageBlock.count()
                    + " images but " + labels + " holds " + labelBytes.length + " labels");
        }
        int[] labelValues = new int[labelBytes.length];
        for (int i = 0; i < labelBytes.length; i++) {
            labelValues[i] = labelBytes[i] & 0xFF;
        }
        return MnistDigits.wrap(imageBlock.rows(), imageBlock.cols(), imageBlock.pixels(), labelValues);
    }

    private record ImageBlock(int count, int rows, int cols, byte[] pixels) {
    }

    private static ImageBlock readImages(Path file) {
        try (InputStream in = open(file)) {
            int magic = readInt(in, file, "magic number");
            checkMagic(file, magic, IMAGES_MAGIC, "image");
            int count = readInt(in, file, "image count");
            int rows = readInt(in, file, "row count");
            int cols = readInt(in, file, "column count");
            if (count < 0 || rows < 1 || cols < 1) {
                throw new CnnkitException("MNIST image file " + file + " has an invalid header: " + count
                        + " images of " + rows + "x" + cols);
            }
            long expected = (long) count * rows * cols;
            byte[] pixels = readBody(in, file, expected, count + " images of " + rows + "x" + cols);
            return new ImageBlock(count, rows, cols, pixels);
        } catch (IOException e) {
            throw ioFailure(file, e);
        }
    }

    private static byte[] readLabels(Path file) {
        try (InputStream in = open(file)) {
            int magic = readInt(in, file, "magic number");
            checkMagic(file, magic, LABELS_MAGIC, "label");
            int count = readInt(in, file, "label count");
            if (count < 0) {
                throw new CnnkitException("MNIST label file " + file + " has an invalid label count: " + count);
            }
            return readBody(in, file, count, count + " labels");
        } catch (IOException e) {
            throw ioFailure(file, e);
        }
    }

    private static void checkMagic(Path file, int magic, int expected, String kind) {
        if (magic == expected) {
            return;
        }
        String found = switch (magic) {
            case IMAGES_MAGIC -> " (an IDX image file; are the image and label files swapped?)";
            case LABELS_MAGIC -> " (an IDX label file; are the image and label files swapped?)";
            default -> "";
        };
        throw new CnnkitException("not an MNIST " + kind + " file: " + file + " starts with magic number " + magic
                + found + ", expected " + expected);
    }

    private static byte[] readBody(InputStream in, Path file, long expected, String what) throws IOException {
        if (expected > MAX_BYTES) {
            throw new CnnkitException("MNIST file " + file + " declares " + what + ", too large to read");
        }
        // readNBytes grows its buffer as data arrives, so a lying header cannot force a huge allocation.
        byte[] body = in.readNBytes((int) expected);
        if (body.length < expected) {
            throw new CnnkitException("MNIST file " + file + " is truncated: its header declares " + what + " ("
                    + expected + " bytes) but only " + body.length + " bytes follow");
        }
        if (in.read() != -1) {
            throw new CnnkitException("MNIST file " + file + " has unexpected bytes after the " + what
                    + " its header declares");
        }
        return body;
    }

    private static int readInt(InputStream in, Path file, String field) throws IOException {
        byte[] b = in.readNBytes(4);
        if (b.length < 4) {
            throw new CnnkitException("MNIST file " + file + " is truncated: it ends inside its header (" + field + ")");
        }
        return ((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
    }

    /** Opens a file, decompressing it on the fly when it starts with the gzip magic bytes. */
    private static InputStream open(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new CnnkitException("MNIST file not found: " + file);
        }
        if (Files.isDirectory(file)) {
            throw new CnnkitException("MNIST file expected but found a folder: " + file);
        }
        InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        try {
            in.mark(2);
            int b0 = in.read();
            int b1 = in.read();
            in.reset();
            if (b0 == 0x1f && b1 == 0x8b) {
                return new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16);
            }
            return in;
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    private static CnnkitException ioFailure(Path file, IOException e) {
        if (e instanceof NoSuchFileException) {
            return new CnnkitException("MNIST file not found: " + file, e);
        }
        if (e instanceof EOFException || e instanceof ZipException) {
            return new CnnkitException("MNIST file " + file + " is truncated or not valid gzip: " + e.getMessage(), e);
        }
        return new CnnkitException("cannot read MNIST file " + file + ": " + e, e);
    }
}
