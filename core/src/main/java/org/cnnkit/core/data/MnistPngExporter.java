package org.cnnkit.core.data;

import org.cnnkit.core.io.AtomicFiles;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.core.progress.ProgressTracker;

/**
 * Writes {@link MnistDigits} as 8-bit grayscale PNG files into a class-per-folder tree that the image-folder
 * classes read: {@code <folder>/<label>/<sourceIndex>.png}, the index zero-padded to five digits
 * (for example {@code digits/2/00001.png}).
 *
 * <p>Each file is written atomically: to a hidden temporary file in its class folder, then moved into place, so that
 * an interrupted export never leaves a half-written image. Existing files of the same name are replaced; other files
 * in the folder are left alone.
 *
 * <pre>{@code
 * MnistExportSummary summary = MnistPngExporter.builder()
 *         .setFolder(Path.of("digits"))
 *         .optProgressListener(listener)
 *         .build()
 *         .export(digits);
 * }</pre>
 */
public final class MnistPngExporter {

    private final Path folder;
    private final ProgressListener progressListener;

    private MnistPngExporter(Builder builder) {
        this.folder = builder.folder;
        this.progressListener = builder.progressListener;
    }

    /** {@return a new builder} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return the root folder that files are written into} */
    public Path folder() {
        return folder;
    }

    /**
     * Writes every digit of the set as a PNG file, reporting progress per image.
     *
     * @param digits the digits to write
     * @return what was written
     * @throws NullPointerException if {@code digits} is null
     * @throws CnnkitException naming the path if a folder cannot be created or a file cannot be written
     */
    public MnistExportSummary export(MnistDigits digits) {
        Objects.requireNonNull(digits, "digits");
        SortedMap<Integer, Integer> counts = new TreeMap<>();
        for (int label : digits.classes()) {
            Path classFolder = folder.resolve(Integer.toString(label));
            try {
                Files.createDirectories(classFolder);
            } catch (IOException e) {
                throw new CnnkitException("cannot create folder " + classFolder + ": " + e, e);
            }
            counts.put(label, 0);
        }
        ImageWriter writer = pngWriter();
        try {
            BufferedImage image = new BufferedImage(digits.cols(), digits.rows(), BufferedImage.TYPE_BYTE_GRAY);
            byte[] raster = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
            ByteArrayOutputStream encoded = new ByteArrayOutputStream(1024);
            ProgressTracker tracker = ProgressTracker.start("writing PNG files", digits.size(), progressListener);
            for (int i = 0; i < digits.size(); i++) {
                byte[] pixels = digits.image(i);
                System.arraycopy(pixels, 0, raster, 0, pixels.length);
                encoded.reset();
                encode(writer, image, encoded);
                int label = digits.label(i);
                Path target = folder.resolve(Integer.toString(label)).resolve(fileName(digits.sourceIndex(i)));
                writeAtomically(target, encoded.toByteArray());
                counts.merge(label, 1, Integer::sum);
                tracker.advance(1);
            }
            tracker.finish();
        } finally {
            writer.dispose();
        }
        return new MnistExportSummary(folder, digits.size(), counts);
    }

    /**
     * Returns the file name used for a digit.
     *
     * @param sourceIndex the digit's position in its source IDX files
     * @return the file name, such as {@code 00042.png}
     */
    public static String fileName(int sourceIndex) {
        return String.format("%05d.png", sourceIndex);
    }

    private static ImageWriter pngWriter() {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("png");
        if (!writers.hasNext()) {
            throw new CnnkitException("this Java runtime has no PNG writer (javax.imageio)");
        }
        return writers.next();
    }

    private static void encode(ImageWriter writer, BufferedImage image, ByteArrayOutputStream target) {
        // A memory-cached stream: ImageIO's default cache would create a temporary file for every image.
        try (ImageOutputStream out = new MemoryCacheImageOutputStream(target)) {
            writer.setOutput(out);
            writer.write(image);
        } catch (IOException e) {
            throw new CnnkitException("cannot encode a PNG image: " + e, e);
        }
    }

    private static void writeAtomically(Path target, byte[] bytes) {
        try {
            AtomicFiles.write(target, bytes);
        } catch (IOException e) {
            throw new CnnkitException("cannot write " + target + ": " + e, e);
        }
    }

    /** Configures a {@link MnistPngExporter}. */
    public static final class Builder {

        private Path folder;
        private ProgressListener progressListener = ProgressListener.none();

        private Builder() {
        }

        /**
         * Sets the root folder of the tree; it and the class folders are created when missing.
         *
         * @param folder the root folder
         * @return this builder
         */
        public Builder setFolder(Path folder) {
            this.folder = Objects.requireNonNull(folder, "folder");
            return this;
        }

        /**
         * Sets where progress is reported (one unit per image); none by default.
         *
         * @param listener the listener
         * @return this builder
         */
        public Builder optProgressListener(ProgressListener listener) {
            this.progressListener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Creates the exporter.
         *
         * @return the exporter
         * @throws IllegalArgumentException if no folder was set
         */
        public MnistPngExporter build() {
            if (folder == null) {
                throw new IllegalArgumentException("setFolder(...) is required");
            }
            return new MnistPngExporter(this);
        }
    }
}
