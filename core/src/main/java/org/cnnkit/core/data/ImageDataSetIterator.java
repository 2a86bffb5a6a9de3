package org.cnnkit.core.data;

import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.io.Serial;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.Augmentation;
import org.cnnkit.core.image.BatchDecoder;
import org.cnnkit.core.image.ImageDecoder;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.core.runtime.NativeWorkers;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds labelled image files to a DL4J network as batches: decode, augment (training only), preprocess,
 * batch. Features are NCHW float {@code [batch, channels, height, width]}, labels one-hot
 * {@code [batch, numClasses]}; the last batch of an epoch may be smaller.
 *
 * <p><b>Epochs and determinism.</b> The first epoch starts at the first {@link #hasNext()} or
 * {@link #next()}; {@link #reset()} starts the next epoch (a reset before any batch of the current epoch
 * was taken changes nothing). Epoch {@code e} is shuffled (if enabled) with a generator derived from
 * {@code (seed, e)}, and the augmentation of image {@code i} in epoch {@code e} is drawn from a generator
 * derived from {@code (seed, e, i)}. So batches do not depend on thread scheduling: two iterators with the
 * same settings and seed give bit-identical epochs, whatever the number of workers.
 *
 * <p><b>Workers.</b> Batches are built on a small pool of daemon threads named {@code cnnkit-decode-N}, up
 * to {@code prefetchBatches} ahead of the consumer (a bounded window), so training does not wait for
 * data. Close the iterator ({@link #close()}, or try-with-resources) to stop the threads; they are
 * created at first use.
 *
 * <p><b>Decoded-pixel cache.</b> With {@link Builder#optCacheDecoded(boolean)} (the default), every file
 * is decoded and resized once, at first use (reported to the progress listener as task
 * {@code "decoding"}), and kept in memory as 8-bit values ({@code channels * height * width} bytes per
 * image); later epochs only augment and preprocess. Without it, each batch decodes its files again. A
 * cache that would take more than half the maximum heap is not made (a warning says so): the files are
 * then decoded in every epoch.
 *
 * <p><b>Bad files.</b> A file that cannot be decoded is skipped, logged once with its path and the cause,
 * and listed by {@link #skippedFiles()} (with the cause: {@link #skipped()}); with the cache the epochs simply leave it out, without it the
 * batch that held it is one image short.
 *
 * <p>One consumer thread at a time; not thread-safe for concurrent {@code next()} calls.
 *
 * @serial exclude
 */
public final class ImageDataSetIterator implements DataSetIterator, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ImageDataSetIterator.class);
    private static final long IDLE_THREAD_SECONDS = 30;

    private final List<LabeledImage> images;
    private final int numClasses;
    private final InputShape shape;
    private final Preprocessing preprocessing;
    private final Augmentation augmentation;
    private final int batchSize;
    private final boolean shuffle;
    private final long seed;
    private final int workers;
    private final int prefetchBatches;
    private final boolean cacheDecoded;
    private final ProgressListener progressListener;
    private final List<String> classNames;
    /** The images' pixels by index, decoded once when cached; knows the skipped images and why. */
    private final DecodedPixelCache decoded;

    private final AtomicInteger threadCount = new AtomicInteger();
    /** Every decoding thread this iterator started, so that close() can wait until each has ended. */
    private final List<Thread> startedThreads = Collections.synchronizedList(new ArrayList<>());

    private ExecutorService pool;
    private int[] order;
    private int epoch;
    private int batchesInEpoch;
    private int nextBatchToSubmit;
    private int batchesTaken;
    private final Deque<Future<DataSet>> inFlight = new ArrayDeque<>();
    private DataSet peeked;
    private DataSetPreProcessor preProcessor;
    private boolean closed;

    private ImageDataSetIterator(Builder b) {
        this.images = List.copyOf(b.images);
        this.numClasses = b.numClasses;
        this.shape = b.shape;
        this.preprocessing = b.preprocessing;
        this.augmentation = b.augmentation;
        this.batchSize = b.batchSize;
        this.shuffle = b.shuffle;
        this.seed = b.seed;
        this.workers = b.workers;
        this.prefetchBatches = b.prefetchBatches > 0 ? b.prefetchBatches : Math.max(2, 2 * b.workers);
        this.cacheDecoded = b.cacheDecoded;
        this.progressListener = b.progressListener;
        this.classNames = b.classNames == null ? null : List.copyOf(b.classNames);
        this.decoded = new DecodedPixelCache(images, shape, b.decoder);
    }

    /** {@return a builder} */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public boolean hasNext() {
        checkOpen();
        if (order == null) {
            startEpoch();
        }
        while (peeked == null) {
            Future<DataSet> head = inFlight.poll();
            if (head == null) {
                return false;
            }
            submitAhead();
            peeked = NativeWorkers.await(head, "building a batch of images");
        }
        return true;
    }

    @Override
    public DataSet next() {
        if (!hasNext()) {
            throw new NoSuchElementException("no more batches in epoch " + epoch + "; call reset() for the next");
        }
        DataSet batch = peeked;
        peeked = null;
        batchesTaken++;
        if (preProcessor != null) {
            preProcessor.preProcess(batch);
        }
        return batch;
    }

    /**
     * Not supported: batches have the fixed size given to the builder (and are built ahead of time).
     *
     * @throws UnsupportedOperationException always
     */
    @Override
    public DataSet next(int num) {
        throw new UnsupportedOperationException(
                "ImageDataSetIterator builds batches of " + batchSize + " ahead of time; use next()");
    }

    /**
     * Starts the next epoch: a new shuffle and new augmentations. Does nothing if no batch of the current
     * epoch has been taken yet.
     *
     * @throws IllegalStateException if the iterator is closed
     */
    @Override
    public void reset() {
        checkOpen();
        if (batchesTaken == 0) {
            return;
        }
        cancelInFlight();
        peeked = null;
        order = null;
        batchesTaken = 0;
        epoch++;
    }

    /** {@return the index of the current epoch, from 0} */
    public int epoch() {
        return epoch;
    }

    /**
     * {@return the number of images the batches hold per epoch, as known so far: the images given minus
     * the files skipped so far (all bad files are known once the cache is loaded)}
     */
    public int totalExamples() {
        return images.size() - decoded.unreadable().size();
    }

    /** {@return the files skipped so far because they could not be decoded, sorted} */
    public List<Path> skippedFiles() {
        List<Path> paths = new ArrayList<>();
        for (int i : decoded.unreadable().keySet()) {
            paths.add(images.get(i).path());
        }
        paths.sort(Comparator.naturalOrder());
        return List.copyOf(paths);
    }

    /**
     * Returns the files skipped so far because they could not be decoded, with the decoder's message, sorted
     * by file.
     *
     * @return the skipped files and why
     */
    public List<BatchDecoder.Unreadable> skipped() {
        List<BatchDecoder.Unreadable> skipped = new ArrayList<>();
        decoded.unreadable().forEach((i, reason) -> skipped.add(new BatchDecoder.Unreadable(images.get(i).path(), reason)));
        skipped.sort(Comparator.comparing(BatchDecoder.Unreadable::file));
        return List.copyOf(skipped);
    }

    /** {@return the input shape batches are made for} */
    public InputShape inputShape() {
        return shape;
    }

    /** Returns the values of one image, {@code channels * height * width}. */
    @Override
    public int inputColumns() {
        return shape.values();
    }

    /** Returns the number of classes, the width of the one-hot labels. */
    @Override
    public int totalOutcomes() {
        return numClasses;
    }

    /** Returns true: {@link #reset()} starts a new epoch. */
    @Override
    public boolean resetSupported() {
        return true;
    }

    /** Returns false: this iterator prefetches on its own workers, so DL4J must not wrap it again. */
    @Override
    public boolean asyncSupported() {
        return false;
    }

    /** Returns the batch size (the last batch of an epoch may be smaller). */
    @Override
    public int batch() {
        return batchSize;
    }

    /** Sets a DL4J preprocessor applied to each batch on the consumer thread, after cnnkit's own steps. */
    @Override
    public void setPreProcessor(DataSetPreProcessor preProcessor) {
        this.preProcessor = preProcessor;
    }

    /** Returns the DL4J preprocessor set with {@link #setPreProcessor}, or null. */
    @Override
    public DataSetPreProcessor getPreProcessor() {
        return preProcessor;
    }

    /** Returns the class names given to the builder, in label order, or null if none were given. */
    @Override
    public List<String> getLabels() {
        return classNames;
    }

    /**
     * Stops the worker threads and drops prefetched batches; waits briefly for running work to end.
     * The iterator cannot be used afterwards. Calling it again does nothing.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        cancelInFlight();
        peeked = null;
        decoded.release();
        if (pool != null) {
            pool.shutdownNow();
            try {
                if (!pool.awaitTermination(10, TimeUnit.SECONDS)) {
                    LOG.warn("image decoding threads still running 10 s after close()");
                }
                // the pool counts as terminated a moment before its last thread has returned; wait for each
                List<Thread> threads;
                synchronized (startedThreads) {
                    threads = new ArrayList<>(startedThreads);
                }
                for (Thread thread : threads) {
                    thread.join(TimeUnit.SECONDS.toMillis(10));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---------------------------------------------------------------- internals

    /**
     * DataSetIterator is Serializable, but an iterator with worker threads and prefetched batches is not.
     *
     * @param out the stream, never written to
     * @throws NotSerializableException always
     */
    @Serial
    private void writeObject(ObjectOutputStream out) throws NotSerializableException {
        throw new NotSerializableException(
                "ImageDataSetIterator holds threads and prefetched batches; build a new one instead");
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this ImageDataSetIterator is closed");
        }
    }

    private ExecutorService pool() {
        if (pool == null) {
            ThreadFactory factory = runnable -> {
                Thread thread = new Thread(runnable, "cnnkit-decode-" + threadCount.incrementAndGet());
                thread.setDaemon(true);
                startedThreads.add(thread);
                return thread;
            };
            // idle threads end after a while, so an iterator that is never closed does not keep threads alive
            ThreadPoolExecutor executor = new ThreadPoolExecutor(workers, workers, IDLE_THREAD_SECONDS,
                    TimeUnit.SECONDS, new LinkedBlockingQueue<>(), factory);
            executor.allowCoreThreadTimeOut(true);
            pool = executor;
        }
        return pool;
    }

    private void startEpoch() {
        if (cacheDecoded) {
            decoded.load(pool()::submit, progressListener);
        }
        // with the cache every bad file is known and left out; without it a batch finds them as it decodes
        boolean cached = decoded.cached();
        int[] indices = new int[images.size()];
        int n = 0;
        for (int i = 0; i < images.size(); i++) {
            if (!cached || !decoded.isUnreadable(i)) {
                indices[n++] = i;
            }
        }
        int[] epochOrder = Arrays.copyOf(indices, n);
        order = shuffle ? EpochRandomness.shuffledOrder(epochOrder, seed, epoch) : epochOrder;
        batchesInEpoch = (n + batchSize - 1) / batchSize;
        nextBatchToSubmit = 0;
        submitAhead();
    }

    private void submitAhead() {
        while (inFlight.size() < prefetchBatches && nextBatchToSubmit < batchesInEpoch) {
            int from = nextBatchToSubmit * batchSize;
            int[] members = Arrays.copyOfRange(order, from, Math.min(order.length, from + batchSize));
            int batchEpoch = epoch;
            inFlight.add(pool().submit(() -> buildBatch(members, batchEpoch)));
            nextBatchToSubmit++;
        }
    }

    private void cancelInFlight() {
        for (Future<DataSet> future : inFlight) {
            future.cancel(true);
        }
        inFlight.clear();
    }

    /** Runs on a worker: the pixels, augmentations and labels of one batch. Null if every file was bad. */
    private DataSet buildBatch(int[] members, int batchEpoch) {
        int values = shape.values();
        // pixels go straight into the off-heap batch array, image by image (no batch-sized heap copy)
        INDArray features = Nd4j.createUninitializedDetached(DataType.FLOAT,
                members.length, shape.channels(), shape.height(), shape.width());
        FloatBuffer featureBuffer = features.data().asNioFloat();
        float[] labels = new float[members.length * numClasses];
        float[] source = new float[values];
        float[] augmented = new float[values];
        int n = 0;
        for (int index : members) {
            if (Thread.currentThread().isInterrupted()) {
                return null;
            }
            float[] image = decoded.pixels(index, source);
            if (image == null) {
                continue;
            }
            if (!augmentation.isIdentity()) {
                SplittableRandom rng = EpochRandomness.augmentationRandom(seed, batchEpoch, index);
                image = augmentation.apply(image, shape, rng, augmented);
            }
            preprocessing.applyInPlace(image, shape.channels());
            featureBuffer.put(n * values, image);
            labels[n * numClasses + images.get(index).label()] = 1f;
            n++;
        }
        if (n == 0) {
            return null;
        }
        if (n < members.length) {
            features = features.get(NDArrayIndex.interval(0, n), NDArrayIndex.all(), NDArrayIndex.all(),
                    NDArrayIndex.all()).dup('c');
            labels = Arrays.copyOf(labels, n * numClasses);
        }
        return new DataSet(features, Nd4j.create(labels, new long[] {n, numClasses}, 'c'));
    }

    @Override
    public String toString() {
        return "ImageDataSetIterator[" + images.size() + " images, " + numClasses + " classes, " + shape
                + ", batch " + batchSize + ", " + preprocessing + ", " + augmentation + "]";
    }

    /** Builds an {@link ImageDataSetIterator}: images, class count and input shape are required. */
    public static final class Builder {

        private List<LabeledImage> images;
        private int numClasses;
        private InputShape shape;
        private Preprocessing preprocessing = Preprocessing.RESCALE;
        private Augmentation augmentation = Augmentation.none();
        private int batchSize = 32;
        private boolean shuffle = true;
        private long seed;
        private int workers = Runtime.getRuntime().availableProcessors();
        private int prefetchBatches;
        private boolean cacheDecoded = true;
        private ProgressListener progressListener = ProgressListener.none();
        private List<String> classNames;
        private ImageDecoder decoder = new ImageDecoder();

        private Builder() {
        }

        /**
         * Sets the images to iterate over (required), for example {@link Split#train()}.
         *
         * @param images the labelled image files
         * @return this builder
         */
        public Builder setImages(List<LabeledImage> images) {
            this.images = images;
            return this;
        }

        /**
         * Sets the number of classes (required): the width of the one-hot labels.
         *
         * @param numClasses at least 1, and more than every label
         * @return this builder
         */
        public Builder setNumClasses(int numClasses) {
            this.numClasses = numClasses;
            return this;
        }

        /**
         * Sets the size and channels images are converted to (required).
         *
         * @param shape the model's input shape
         * @return this builder
         */
        public Builder setInputShape(InputShape shape) {
            this.shape = shape;
            return this;
        }

        /**
         * Sets how pixels are scaled for the model (default {@link Preprocessing#RESCALE}).
         *
         * @param preprocessing the model's preprocessing
         * @return this builder
         */
        public Builder optPreprocessing(Preprocessing preprocessing) {
            this.preprocessing = preprocessing;
            return this;
        }

        /**
         * Sets the augmentation (default {@link Augmentation#none()}); use it for training images only.
         *
         * @param augmentation the random transforms drawn fresh for every image in every epoch
         * @return this builder
         */
        public Builder optAugmentation(Augmentation augmentation) {
            this.augmentation = augmentation;
            return this;
        }

        /**
         * Sets the batch size (default 32).
         *
         * @param batchSize at least 1
         * @return this builder
         */
        public Builder optBatchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Sets whether each epoch visits the images in a new seeded order (default true).
         *
         * @param shuffle whether to shuffle
         * @return this builder
         */
        public Builder optShuffle(boolean shuffle) {
            this.shuffle = shuffle;
            return this;
        }

        /**
         * Sets the seed of the shuffles and augmentations (default 0).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Sets the number of worker threads (default: the number of processors).
         *
         * @param workers at least 1
         * @return this builder
         */
        public Builder optWorkers(int workers) {
            this.workers = workers;
            return this;
        }

        /**
         * Sets how many batches are built ahead of the consumer (default: twice the workers, at least 2).
         *
         * @param batches at least 1
         * @return this builder
         */
        public Builder optPrefetchBatches(int batches) {
            if (batches < 1) {
                throw new IllegalArgumentException("prefetch batches must be at least 1, got " + batches);
            }
            this.prefetchBatches = batches;
            return this;
        }

        /**
         * Sets whether decoded, resized, un-augmented pixels are kept in memory (8 bits per value) so that
         * later epochs skip decoding (default true).
         *
         * @param cache whether to cache
         * @return this builder
         */
        public Builder optCacheDecoded(boolean cache) {
            this.cacheDecoded = cache;
            return this;
        }

        /**
         * Sets the listener told about the one-time decoding of the files (task {@code "decoding"}).
         *
         * @param listener the listener
         * @return this builder
         */
        public Builder optProgressListener(ProgressListener listener) {
            this.progressListener = listener;
            return this;
        }

        /**
         * Sets the class names, in label order, returned by {@link ImageDataSetIterator#getLabels()}.
         *
         * @param classNames one name per class, for example {@link ImageFolder#classNames()}
         * @return this builder
         */
        public Builder optClassNames(List<String> classNames) {
            this.classNames = classNames;
            return this;
        }

        /**
         * Sets the decoder (default: an {@link ImageDecoder} with the default pixel limit).
         *
         * @param decoder the decoder
         * @return this builder
         */
        public Builder optDecoder(ImageDecoder decoder) {
            this.decoder = decoder;
            return this;
        }

        /**
         * Builds the iterator; no thread starts and no file is read until the first batch is asked for.
         *
         * @return the iterator
         * @throws NullPointerException if images, shape, preprocessing, augmentation, listener or decoder is
         *     null
         * @throws IllegalArgumentException if the class count, batch size or workers are below 1, a label is
         *     not below the class count (the message names the image), or the class names do not match the
         *     class count
         */
        public ImageDataSetIterator build() {
            Objects.requireNonNull(images, "images (setImages)");
            Objects.requireNonNull(shape, "input shape (setInputShape)");
            Objects.requireNonNull(preprocessing, "preprocessing");
            Objects.requireNonNull(augmentation, "augmentation");
            Objects.requireNonNull(progressListener, "progress listener");
            Objects.requireNonNull(decoder, "decoder");
            if (numClasses < 1) {
                throw new IllegalArgumentException("number of classes must be at least 1 (setNumClasses), got "
                        + numClasses);
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
            }
            if (workers < 1) {
                throw new IllegalArgumentException("workers must be at least 1, got " + workers);
            }
            for (LabeledImage image : images) {
                if (image.label() >= numClasses) {
                    throw new IllegalArgumentException("label " + image.label() + " of " + image.path()
                            + " is not below the number of classes, " + numClasses);
                }
            }
            if (classNames != null && classNames.size() != numClasses) {
                throw new IllegalArgumentException(classNames.size() + " class names given for " + numClasses
                        + " classes: " + classNames);
            }
            if (preprocessing == Preprocessing.VGG16_CAFFE && shape.channels() != 3) {
                throw new IllegalArgumentException("VGG16_CAFFE preprocessing needs 3 channels, the shape is "
                        + shape);
            }
            return new ImageDataSetIterator(this);
        }
    }
}
