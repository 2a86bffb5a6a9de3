package org.cnnkit.core.image;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.runtime.NativeWorkers;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Decodes a list of image files into one NCHW batch for a network: the files are decoded in parallel on a few worker
 * threads, preprocessed, and written straight into the batch's off-heap array (no batch-sized copy on the Java heap).
 * Used wherever cnnkit runs a network on image files outside training: a classifier's predictions, the retrieval
 * feature extractors.
 *
 * <p>Thread-safe; the workers are daemon threads that end after a while without work, so an instance needs no
 * closing.
 */
public final class BatchDecoder {

    private final ImageDecoder decoder;
    private final InputShape shape;
    private final Preprocessing preprocessing;
    private final NativeWorkers workers;

    private BatchDecoder(ImageDecoder decoder, InputShape shape, Preprocessing preprocessing, int threads) {
        this.decoder = Objects.requireNonNull(decoder, "decoder");
        this.shape = Objects.requireNonNull(shape, "shape");
        this.preprocessing = Objects.requireNonNull(preprocessing, "preprocessing");
        this.workers = NativeWorkers.create(threads, "cnnkit-batch-decode");
    }

    /**
     * Prepares decoding to {@code shape} with {@code preprocessing}, on as many threads as cores, at most 4.
     *
     * @param decoder the decoder (its pixel limit applies)
     * @param shape the network's input shape
     * @param preprocessing the pixel preprocessing applied after decoding
     * @return the batch decoder
     */
    public static BatchDecoder of(ImageDecoder decoder, InputShape shape, Preprocessing preprocessing) {
        return new BatchDecoder(decoder, shape, preprocessing,
                Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors())));
    }

    /**
     * Decodes the files into a batch, in file order.
     *
     * @param files the image files
     * @param skipUnreadable true: a file that cannot be decoded ({@link ImageDecodingException} or another
     *     {@link CnnkitException}) is left out of the batch and listed; false: the first such file (in list order)
     *     throws
     * @return the batch of the decoded files, which files they are, and the files left out
     * @throws CnnkitException naming the first unreadable file when {@code skipUnreadable} is false, or if the
     *     calling thread is interrupted
     * @throws RuntimeException an unexpected failure of a decoding task, as it is
     */
    public Batch decode(List<Path> files, boolean skipUnreadable) {
        List<Callable<Decoded>> tasks = new ArrayList<>(files.size());
        for (Path file : files) {
            tasks.add(() -> decodeOne(() -> decoder.decode(file, shape)));
        }
        return collect(files, workers.runAll(tasks, "decoding images"), skipUnreadable);
    }

    /**
     * Decodes encoded images (file contents read elsewhere, such as by Spark from a distributed file system) into a
     * batch, in list order, leaving out and listing those that cannot be decoded.
     *
     * @param images the encoded images, each named by its path or id
     * @return the batch of the decoded images ({@link Batch#files()} holds their names), and those left out
     * @throws CnnkitException if the calling thread is interrupted
     * @throws RuntimeException an unexpected failure of a decoding task, as it is
     */
    public Batch decodeEncoded(List<EncodedImage> images) {
        List<Callable<Decoded>> tasks = new ArrayList<>(images.size());
        List<Path> names = new ArrayList<>(images.size());
        for (EncodedImage image : images) {
            tasks.add(() -> decodeOne(() -> decoder.decode(decoder.read(image.name(), image.content()), shape)));
            names.add(image.name());
        }
        return collect(names, workers.runAll(tasks, "decoding images"), true);
    }

    private Batch collect(List<Path> files, List<Decoded> decoded, boolean skipUnreadable) {
        List<Path> read = new ArrayList<>(files.size());
        List<Unreadable> skipped = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            Decoded one = decoded.get(i);
            if (one.failure() == null) {
                read.add(files.get(i));
            } else if (skipUnreadable) {
                skipped.add(new Unreadable(files.get(i), one.failure().getMessage()));
            } else {
                throw one.failure();
            }
        }
        if (read.isEmpty()) {
            return new Batch(Nd4j.create(DataType.FLOAT, 0, shape.channels(), shape.height(), shape.width()),
                    List.of(), List.copyOf(skipped));
        }
        INDArray images = Nd4j.createUninitializedDetached(DataType.FLOAT, read.size(), shape.channels(),
                shape.height(), shape.width());
        FloatBuffer target = images.data().asNioFloat();
        for (Decoded one : decoded) {
            if (one.failure() == null) {
                target.put(one.pixels());
            }
        }
        return new Batch(images, List.copyOf(read), List.copyOf(skipped));
    }

    private Decoded decodeOne(java.util.function.Supplier<float[]> decode) {
        try {
            float[] pixels = decode.get();
            preprocessing.applyInPlace(pixels, shape.channels());
            return new Decoded(pixels, null);
        } catch (CnnkitException e) {
            return new Decoded(null, e);
        }
    }

    /** One file's pixels, or why it could not be decoded. */
    private record Decoded(float[] pixels, CnnkitException failure) {
    }

    /**
     * A decoded batch.
     *
     * @param images {@code [n, channels, height, width]}, preprocessed, one row per file of {@code files} ({@code n}
     *     is 0 when no file could be decoded)
     * @param files the files decoded, in the order given
     * @param skipped the files left out, with why
     */
    public record Batch(INDArray images, List<Path> files, List<Unreadable> skipped) {
    }

    /**
     * A file that could not be decoded.
     *
     * @param file the file
     * @param reason the decoder's message
     */
    public record Unreadable(Path file, String reason) {
    }
}
