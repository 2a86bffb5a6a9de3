package org.cnnkit.core.data;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.cnnkit.core.image.Augmentation;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Measures the image pipeline's own speed, without a network: an {@link ImageDataSetIterator} over a list
 * of files is drained and the images per second are counted. The benchmark command and tests call it; the
 * measured path is exactly the training path (decode, resize, augment, preprocess, batch into NCHW arrays).
 */
public final class PipelineThroughput {

    private PipelineThroughput() {
    }

    /**
     * The result of one measurement.
     *
     * @param images images delivered in batches during the timed epochs
     * @param elapsed wall time of the timed epochs
     * @param cpuTime CPU time the whole process used during the timed epochs (workers, consumer, garbage
     *     collector), or zero where the JVM does not report it
     * @param skipped files that could not be decoded
     */
    public record Measurement(long images, Duration elapsed, Duration cpuTime, int skipped) {

        /** {@return images per second of wall time} */
        public double imagesPerSecond() {
            double seconds = elapsed.toNanos() / 1e9;
            return seconds > 0 ? images / seconds : 0.0;
        }

        /**
         * {@return images per second of CPU time: the rate one core sustains, a figure that stays meaningful
         * when other processes compete for the cores (0 if CPU time is unknown)}
         */
        public double imagesPerCpuSecond() {
            double seconds = cpuTime.toNanos() / 1e9;
            return seconds > 0 ? images / seconds : 0.0;
        }
    }

    /**
     * Decodes, augments and preprocesses images with no decoded-pixel cache, so that every epoch decodes
     * every file: the cost of a first epoch, of feature extraction, or of data too big to cache.
     *
     * @param images the files
     * @param shape the size and channels to decode to
     * @param augmentation the augmentation ({@link Augmentation#none()} for decode only)
     * @param preprocessing the preprocessing
     * @param workers worker threads
     * @param batchSize images per batch
     * @param epochs timed epochs, at least 1
     * @return images delivered and time taken
     * @throws IllegalArgumentException if {@code epochs} is below 1 or an iterator setting is invalid
     */
    public static Measurement decoding(List<LabeledImage> images, InputShape shape, Augmentation augmentation,
            Preprocessing preprocessing, int workers, int batchSize, int epochs) {
        return measure(images, shape, augmentation, preprocessing, workers, batchSize, epochs, false);
    }

    /**
     * Like {@link #decoding}, but with the decoded-pixel cache: one untimed epoch fills the cache, then the
     * timed epochs only augment, preprocess and batch, the cost of every training epoch after the first.
     *
     * @param images the files
     * @param shape the size and channels to decode to
     * @param augmentation the augmentation
     * @param preprocessing the preprocessing
     * @param workers worker threads
     * @param batchSize images per batch
     * @param epochs timed epochs, at least 1
     * @return images delivered and time taken
     * @throws IllegalArgumentException if {@code epochs} is below 1 or an iterator setting is invalid
     */
    public static Measurement cached(List<LabeledImage> images, InputShape shape, Augmentation augmentation,
            Preprocessing preprocessing, int workers, int batchSize, int epochs) {
        return measure(images, shape, augmentation, preprocessing, workers, batchSize, epochs, true);
    }

    private static Measurement measure(List<LabeledImage> images, InputShape shape, Augmentation augmentation,
            Preprocessing preprocessing, int workers, int batchSize, int epochs, boolean cache) {
        Objects.requireNonNull(images, "images");
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be at least 1, got " + epochs);
        }
        int numClasses = images.stream().mapToInt(LabeledImage::label).max().orElse(0) + 1;
        try (ImageDataSetIterator iterator = ImageDataSetIterator.builder()
                .setImages(images)
                .setNumClasses(numClasses)
                .setInputShape(shape)
                .optAugmentation(augmentation)
                .optPreprocessing(preprocessing)
                .optWorkers(workers)
                .optBatchSize(batchSize)
                .optCacheDecoded(cache)
                .build()) {
            if (cache) {
                drain(iterator);
                iterator.reset();
            }
            long cpuStart = processCpuNanos();
            long start = System.nanoTime();
            long count = 0;
            for (int e = 0; e < epochs; e++) {
                count += drain(iterator);
                iterator.reset();
            }
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            Duration cpu = Duration.ofNanos(Math.max(0, processCpuNanos() - cpuStart));
            return new Measurement(count, elapsed, cpu, iterator.skippedFiles().size());
        }
    }

    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return Math.max(0, os.getProcessCpuTime());
        }
        return 0;
    }

    private static long drain(ImageDataSetIterator iterator) {
        long count = 0;
        while (iterator.hasNext()) {
            DataSet batch = iterator.next();
            count += batch.numExamples();
        }
        return count;
    }
}
