package org.cnnkit.core.datavec;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.Serial;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.nio.FloatBuffer;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.Future;
import javax.imageio.ImageIO;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.data.EpochRandomness;
import org.cnnkit.core.data.ImageFolder;
import org.cnnkit.core.data.LabeledImage;
import org.cnnkit.core.image.Augmentation;
import org.cnnkit.core.image.ImageDecoder;
import org.cnnkit.core.image.ImageDecodingException;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.core.runtime.NativeWorkers;
import org.datavec.api.conf.Configuration;
import org.datavec.api.io.filters.PathFilter;
import org.datavec.api.io.labels.ParentPathLabelGenerator;
import org.datavec.api.io.labels.PathLabelGenerator;
import org.datavec.api.records.Record;
import org.datavec.api.records.metadata.RecordMetaData;
import org.datavec.api.records.metadata.RecordMetaDataURI;
import org.datavec.api.records.reader.BaseRecordReader;
import org.datavec.api.split.InputSplit;
import org.datavec.api.writable.IntWritable;
import org.datavec.api.writable.NDArrayWritable;
import org.datavec.api.writable.Writable;
import org.datavec.api.writable.batch.NDArrayRecordBatch;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * cnnkit's image pipeline as a DataVec {@link org.datavec.api.records.reader.RecordReader}: each record is one
 * image, decoded by cnnkit's {@link ImageDecoder} (pixel guard, antialiased resize), augmented by an
 * {@link Augmentation} and preprocessed by a {@link Preprocessing}, as an {@link NDArrayWritable} of shape
 * {@code [1, channels, height, width]}, followed by its class index as an {@link IntWritable}. That is the layout of
 * DataVec's own {@code ImageRecordReader}, so DL4J's {@code RecordReaderDataSetIterator} batches it as it is:
 * <pre>{@code
 * PipelineRecordReader reader = PipelineRecordReader.builder().setInputShape(InputShape.rgb(28))
 *         .optAugmentation(Augmentation.notebookDigits()).optShuffle(true).optSeed(42).build();
 * reader.initialize(new FileSplit(new File("digits")));           // labels from the parent folder
 * DataSetIterator train = new RecordReaderDataSetIterator(reader, 32, 1, reader.getLabels().size());
 * }</pre>
 *
 * <p>The images come from {@link #initialize(InputSplit)} (through {@link DataVecImages}, with the builder's
 * {@link PathLabelGenerator} and {@link PathFilter}) or from a cnnkit collection ({@link #initialize(ImageFolder)}).
 * An epoch shows every image once; {@link #reset()} after the end of an epoch starts the next, with a new order
 * (when shuffling) and new augmentations. Order and augmentations depend only on the seed, the epoch and the image
 * ({@link EpochRandomness}), exactly as in cnnkit's {@code ImageDataSetIterator}: with the same images, seed and
 * batch size both give the same batches. A file that cannot be decoded is skipped and logged once.
 *
 * <p><b>Batches.</b> The reader reads batches ({@link #batchesSupported()}), which is the path
 * {@code RecordReaderDataSetIterator} takes (unless it collects metadata): {@link #next(int)} returns an
 * {@link NDArrayRecordBatch} of two arrays, the images {@code [n, channels, height, width]} and their one-hot labels
 * {@code [n, classes]} (so the iterator's class count must be {@code getLabels().size()}), built by a few decoding
 * worker threads ({@link Builder#optWorkers(int)}, daemon threads named {@code cnnkit-decode-N} that end when idle),
 * which also build the next batch of the same size while the caller trains on this one. As in
 * {@code ImageDataSetIterator}, every image is decoded and resized once, at the first read, and kept as 8-bit pixels
 * ({@link Builder#optCacheDecoded(boolean)}); later epochs only augment and preprocess. Record by record
 * ({@link #next()}), the images come in the same order with the same values.
 *
 * <p>Not thread-safe; not meant to be serialized (it holds open state).
 *
 * @serial exclude
 */
public final class PipelineRecordReader extends BaseRecordReader {

    @Serial
    private static final long serialVersionUID = 1L;

    private final transient InputShape shape;
    private final transient Preprocessing preprocessing;
    private final transient Augmentation augmentation;
    private final transient ImageDecoder decoder;
    private final boolean shuffle;
    private final long seed;
    private final transient PathLabelGenerator labelGenerator;
    private final transient PathFilter pathFilter;
    private final transient boolean cacheDecoded;
    private final transient NativeWorkers workers;

    private transient List<LabeledImage> images = List.of();
    private transient List<String> classNames = List.of();
    private transient Map<URI, Integer> labelByUri = Map.of();
    private transient RecordPixels pixels;
    private transient boolean cacheTried;
    private transient float[] augmented;
    private transient int[] order;
    private int epoch;
    private int cursor;
    private boolean exhausted;
    /** An image read ahead by {@link #hasNext()} (without the cache, where it must decode to know). */
    private transient Loaded peeked;
    /** The next batch, being built on the workers: its positions are taken from the order already. */
    private transient Prefetch ahead;
    private transient Configuration conf;

    private PipelineRecordReader(Builder b) {
        this.shape = b.shape;
        this.preprocessing = b.preprocessing;
        this.augmentation = b.augmentation;
        this.decoder = b.decoder;
        this.shuffle = b.shuffle;
        this.seed = b.seed;
        this.labelGenerator = b.labelGenerator;
        this.pathFilter = b.pathFilter;
        this.cacheDecoded = b.cacheDecoded;
        this.workers = NativeWorkers.create(b.workers, "cnnkit-decode");
    }

    /** {@return a builder} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads the images of a DataVec split, labelled by the builder's label generator and chosen by its path
     * filter (see {@link DataVecImages}), and starts epoch 0.
     *
     * @param split the split, for example {@code new FileSplit(folder)}
     * @throws CnnkitException as {@link DataVecImages#read()}
     */
    @Override
    public void initialize(InputSplit split) {
        DataVecImages.Builder collection = DataVecImages.builder().setSplit(split).optLabelGenerator(labelGenerator);
        if (pathFilter != null) {
            collection.optPathFilter(pathFilter);
        }
        this.inputSplit = split;
        initialize(collection.build().read());
    }

    /**
     * As {@link #initialize(InputSplit)}; the configuration is kept for {@link #getConf()} and not otherwise read.
     *
     * @param conf the configuration
     * @param split the split
     */
    @Override
    public void initialize(Configuration conf, InputSplit split) {
        setConf(conf);
        initialize(split);
    }

    /**
     * Reads the images of a cnnkit collection (a scanned class-per-folder tree, a labels file, a split's half) and
     * starts epoch 0.
     *
     * @param collection the images and class names
     */
    public void initialize(ImageFolder collection) {
        initialize(collection.images(), collection.classNames());
    }

    /**
     * Reads the given images and starts epoch 0.
     *
     * @param images the images with their labels
     * @param classNames the class name of each label
     * @throws IllegalArgumentException if a label is not a position in {@code classNames}
     */
    public void initialize(List<LabeledImage> images, List<String> classNames) {
        Map<URI, Integer> labels = new HashMap<>();
        for (LabeledImage image : images) {
            if (image.label() >= classNames.size()) {
                throw new IllegalArgumentException("label " + image.label() + " of " + image.path()
                        + " is not one of the " + classNames.size() + " classes");
            }
            labels.put(image.path().toUri(), image.label());
        }
        this.images = List.copyOf(images);
        this.classNames = List.copyOf(classNames);
        this.labelByUri = labels;
        this.pixels = new RecordPixels(this.images, shape, preprocessing, augmentation, decoder, seed);
        this.cacheTried = false;
        this.augmented = new float[shape.values()];
        this.epoch = 0;
        startEpoch();
    }

    @Override
    public boolean hasNext() {
        if (order == null) {
            return false;
        }
        loadCacheOnce();
        if (peeked != null || ahead != null) {
            return true;
        }
        if (pixels.cached()) {
            // the order leaves out every file that did not decode
            exhausted = cursor >= order.length;
            return !exhausted;
        }
        while (cursor < order.length) {
            int position = order[cursor++];
            float[] values = pixels.pixels(position, epoch, augmented);
            if (values != null) {
                peeked = new Loaded(position, values);
                return true;
            }
        }
        exhausted = true;
        return false;
    }

    @Override
    public List<Writable> next() {
        return nextRecord().getRecord();
    }

    @Override
    public Record nextRecord() {
        dropAhead();
        if (!hasNext()) {
            throw new NoSuchElementException("no more images in epoch " + epoch + "; call reset() for the next");
        }
        Loaded one = peeked;
        peeked = null;
        if (one == null) {
            int position = order[cursor++];
            one = new Loaded(position, pixels.pixels(position, epoch, augmented));
        }
        LabeledImage image = images.get(one.position());
        Record record = new org.datavec.api.records.impl.Record(
                List.of(toWritable(one.pixels()), new IntWritable(image.label())),
                new RecordMetaDataURI(image.path().toUri(), PipelineRecordReader.class));
        invokeListeners(record);
        return record;
    }

    /** Returns true: {@link #next(int)} builds whole batches on the decoding workers. */
    @Override
    public boolean batchesSupported() {
        return true;
    }

    /**
     * Returns the next {@code num} images of the epoch (fewer at its end) as one batch: an {@link NDArrayRecordBatch}
     * of the images {@code [n, channels, height, width]} and their one-hot labels {@code [n, classes]}, the same
     * values in the same order as {@code num} calls of {@link #next()}. The batch was built on the decoding workers
     * while the caller worked on the previous one; the next batch of the same size starts building before this
     * method returns.
     *
     * @param num the batch size, at least 1
     * @return the batch
     * @throws IllegalArgumentException if {@code num} is below 1
     * @throws NoSuchElementException if the epoch has no image left (call {@link #reset()} for the next)
     */
    @Override
    public List<List<Writable>> next(int num) {
        if (num < 1) {
            throw new IllegalArgumentException("a batch needs at least 1 image, got " + num);
        }
        if (!hasNext()) {
            throw new NoSuchElementException("no more images in epoch " + epoch + "; call reset() for the next");
        }
        List<Loaded> rows = new ArrayList<>(num);
        if (peeked != null) {
            rows.add(peeked);
            peeked = null;
        }
        Prefetch taken = ahead;
        if (taken != null && taken.positions().length != num - rows.size()) {
            dropAhead();
            taken = null;
        }
        ahead = null;
        // files that do not decode (known only without the cache) leave gaps, filled from the rest of the epoch
        while (rows.size() < num && (taken != null || cursor < order.length)) {
            if (taken == null) {
                taken = claim(num - rows.size());
            }
            taken.collectInto(rows);
            taken = null;
        }
        if (rows.isEmpty()) {
            exhausted = true;
            throw new NoSuchElementException("no readable image left in epoch " + epoch + "; call reset() for the next");
        }
        if (cursor < order.length) {
            ahead = claim(num);
        }
        return toBatch(rows);
    }

    /**
     * Starts the next epoch (a new order when shuffling, new augmentations) once the current one has been read to its
     * end; before that it rewinds the current epoch. DL4J's {@code RecordReaderDataSetIterator} reads one record to
     * learn the shapes and then resets, and a trainer resets before its first epoch: neither counts as an epoch.
     */
    @Override
    public void reset() {
        dropAhead();
        if (exhausted) {
            epoch++;
        }
        startEpoch();
    }

    @Override
    public boolean resetSupported() {
        return true;
    }

    /** {@return the class names; a record's label is a position here} */
    @Override
    public List<String> getLabels() {
        return classNames;
    }

    /** {@return the epoch being read, from 0} */
    public int epoch() {
        return epoch;
    }

    /** {@return the image shape of the records} */
    public InputShape inputShape() {
        return shape;
    }

    /**
     * Decodes and preprocesses an image from a stream (no augmentation), labelled as the initialized collection
     * labels {@code uri} (or with no label when it holds no such file).
     *
     * @param uri where the image came from
     * @param dataInputStream the image bytes (PNG, JPEG, BMP or GIF)
     * @return the pixels, and the label if known
     * @throws IOException if the stream cannot be read or is not an image
     */
    @Override
    public List<Writable> record(URI uri, DataInputStream dataInputStream) throws IOException {
        var image = ImageIO.read(dataInputStream);
        if (image == null) {
            throw new IOException("not a readable image: " + uri);
        }
        float[] pixels = decoder.decode(image, shape);
        preprocessing.applyInPlace(pixels, shape.channels());
        List<Writable> values = new ArrayList<>(2);
        values.add(toWritable(pixels));
        Integer label = labelByUri.get(uri);
        if (label != null) {
            values.add(new IntWritable(label));
        }
        return values;
    }

    /**
     * Loads the record of an image again, decoded and preprocessed without augmentation.
     *
     * @param recordMetaData metadata from a record of this reader
     * @return the record
     * @throws IOException if the image cannot be decoded
     */
    @Override
    public Record loadFromMetaData(RecordMetaData recordMetaData) throws IOException {
        URI uri = recordMetaData.getURI();
        Integer label = labelByUri.get(uri);
        if (label == null) {
            throw new IOException(uri + " is not one of this reader's images");
        }
        try {
            float[] pixels = decoder.decode(Path.of(uri), shape);
            preprocessing.applyInPlace(pixels, shape.channels());
            return new org.datavec.api.records.impl.Record(List.of(toWritable(pixels), new IntWritable(label)),
                    recordMetaData);
        } catch (ImageDecodingException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /**
     * Loads several records again, as {@link #loadFromMetaData(RecordMetaData)}.
     *
     * @param recordMetaDatas metadata from records of this reader
     * @return the records, in the same order
     * @throws IOException if an image cannot be decoded
     */
    @Override
    public List<Record> loadFromMetaData(List<RecordMetaData> recordMetaDatas) throws IOException {
        List<Record> records = new ArrayList<>(recordMetaDatas.size());
        for (RecordMetaData metaData : recordMetaDatas) {
            records.add(loadFromMetaData(metaData));
        }
        return records;
    }

    /** Stops reading: drops the batch being built ahead and the rest of the epoch. */
    @Override
    public void close() {
        dropAhead();
        order = null;
        peeked = null;
    }

    @Override
    public void setConf(Configuration conf) {
        this.conf = conf;
    }

    @Override
    public Configuration getConf() {
        return conf;
    }

    @Override
    public String toString() {
        return "PipelineRecordReader[" + images.size() + " images, " + classNames.size() + " classes, " + shape + ", "
                + preprocessing + ", " + augmentation + ", epoch " + epoch + "]";
    }

    private void startEpoch() {
        dropAhead();
        int[] positions = new int[images.size()];
        int n = 0;
        for (int i = 0; i < positions.length; i++) {
            if (!pixels.isUnreadable(i)) {
                positions[n++] = i;
            }
        }
        positions = Arrays.copyOf(positions, n);
        order = shuffle ? EpochRandomness.shuffledOrder(positions, seed, epoch) : positions;
        cursor = 0;
        exhausted = false;
        peeked = null;
    }

    /** At the first read: decodes every image into the cache (when kept) and leaves the unreadable ones out. */
    private void loadCacheOnce() {
        if (!cacheTried) {
            cacheTried = true;
            if (cacheDecoded && pixels.loadCache(workers)) {
                startEpoch();
            }
        }
    }

    /** Takes the next {@code count} positions of the order and starts building their images on the workers. */
    private Prefetch claim(int count) {
        int from = cursor;
        int to = Math.min(order.length, cursor + count);
        cursor = to;
        int[] positions = Arrays.copyOfRange(order, from, to);
        int batchEpoch = epoch;
        int chunks = Math.min(workers.threads(), positions.length);
        List<Future<float[][]>> parts = new ArrayList<>(chunks);
        for (int c = 0; c < chunks; c++) {
            int first = c * positions.length / chunks;
            int last = (c + 1) * positions.length / chunks;
            parts.add(workers.submit(() -> {
                float[] scratch = new float[shape.values()];
                float[][] values = new float[last - first][];
                for (int k = first; k < last; k++) {
                    values[k - first] = pixels.pixels(positions[k], batchEpoch, scratch);
                }
                return values;
            }));
        }
        return new Prefetch(from, positions, parts);
    }

    /** Gives the positions of the batch being built ahead back to the order (its work is dropped). */
    private void dropAhead() {
        if (ahead != null) {
            ahead.parts().forEach(part -> part.cancel(false));
            cursor = ahead.from();
            ahead = null;
        }
    }

    private NDArrayRecordBatch toBatch(List<Loaded> rows) {
        int n = rows.size();
        int values = shape.values();
        int classes = classNames.size();
        INDArray features = Nd4j.createUninitializedDetached(DataType.FLOAT, n, shape.channels(), shape.height(),
                shape.width());
        FloatBuffer buffer = features.data().asNioFloat();
        float[] labels = new float[n * classes];
        for (int i = 0; i < n; i++) {
            Loaded row = rows.get(i);
            buffer.put(i * values, row.pixels());
            labels[i * classes + images.get(row.position()).label()] = 1f;
        }
        return new NDArrayRecordBatch(features, Nd4j.create(labels, new long[] {n, classes}, 'c'));
    }

    private NDArrayWritable toWritable(float[] chw) {
        return new NDArrayWritable(Nd4j.create(chw, new long[] {1, shape.channels(), shape.height(), shape.width()},
                DataType.FLOAT));
    }

    /** Builds a {@link PipelineRecordReader}: the input shape is required. */
    public static final class Builder {

        private InputShape shape;
        private Preprocessing preprocessing = Preprocessing.RESCALE;
        private Augmentation augmentation = Augmentation.none();
        private ImageDecoder decoder = new ImageDecoder();
        private boolean shuffle;
        private long seed = 42;
        private PathLabelGenerator labelGenerator = new ParentPathLabelGenerator();
        private PathFilter pathFilter;
        private boolean cacheDecoded = true;
        private int workers = Runtime.getRuntime().availableProcessors();

        private Builder() {
        }

        /**
         * Sets the size and channels every image is decoded to.
         *
         * @param shape the network's input shape (required)
         * @return this builder
         */
        public Builder setInputShape(InputShape shape) {
            this.shape = Objects.requireNonNull(shape, "shape");
            return this;
        }

        /**
         * Sets the preprocessing of 0..255 pixels; {@link Preprocessing#RESCALE} by default.
         *
         * @param preprocessing the preprocessing
         * @return this builder
         */
        public Builder optPreprocessing(Preprocessing preprocessing) {
            this.preprocessing = Objects.requireNonNull(preprocessing, "preprocessing");
            return this;
        }

        /**
         * Sets the augmentation (for training data only); none by default.
         *
         * @param augmentation the augmentation
         * @return this builder
         */
        public Builder optAugmentation(Augmentation augmentation) {
            this.augmentation = Objects.requireNonNull(augmentation, "augmentation");
            return this;
        }

        /**
         * Sets the decoder, for example one with another pixel-count limit.
         *
         * @param decoder the decoder
         * @return this builder
         */
        public Builder optDecoder(ImageDecoder decoder) {
            this.decoder = Objects.requireNonNull(decoder, "decoder");
            return this;
        }

        /**
         * Sets whether each epoch shows the images in a new seeded order; off by default (collection order).
         *
         * @param shuffle whether to shuffle
         * @return this builder
         */
        public Builder optShuffle(boolean shuffle) {
            this.shuffle = shuffle;
            return this;
        }

        /**
         * Sets the seed of the order and the augmentations; 42 by default.
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Sets how {@link PipelineRecordReader#initialize(InputSplit)} labels a file; DataVec's {@code ParentPathLabelGenerator} (the
         * file's folder name) by default.
         *
         * @param labelGenerator the generator
         * @return this builder
         */
        public Builder optLabelGenerator(PathLabelGenerator labelGenerator) {
            this.labelGenerator = Objects.requireNonNull(labelGenerator, "labelGenerator");
            return this;
        }

        /**
         * Sets a filter that {@link PipelineRecordReader#initialize(InputSplit)} applies to the split's image files, such as DataVec's
         * {@code BalancedPathFilter}; none by default.
         *
         * @param pathFilter the filter
         * @return this builder
         */
        public Builder optPathFilter(PathFilter pathFilter) {
            this.pathFilter = Objects.requireNonNull(pathFilter, "pathFilter");
            return this;
        }

        /**
         * Sets whether every image is decoded once, at the first read, and kept as 8-bit pixels
         * ({@code channels * height * width} bytes each) so that later epochs only augment and preprocess; true by
         * default. A cache over half the maximum heap is not made (a warning says so).
         *
         * @param cache whether to cache
         * @return this builder
         */
        public Builder optCacheDecoded(boolean cache) {
            this.cacheDecoded = cache;
            return this;
        }

        /**
         * Sets how many threads decode and build batches; the number of processors by default.
         *
         * @param workers at least 1
         * @return this builder
         * @throws IllegalArgumentException if {@code workers} is below 1
         */
        public Builder optWorkers(int workers) {
            if (workers < 1) {
                throw new IllegalArgumentException("workers must be at least 1, got " + workers);
            }
            this.workers = workers;
            return this;
        }

        /**
         * Builds the reader; call one of the {@code initialize} methods before reading.
         *
         * @return the reader
         * @throws IllegalStateException if no input shape was set
         */
        public PipelineRecordReader build() {
            if (shape == null) {
                throw new IllegalStateException("setInputShape is required");
            }
            return new PipelineRecordReader(this);
        }
    }

    /** One image of the epoch: its position in the collection and its finished values. */
    private record Loaded(int position, float[] pixels) {
    }

    /** A batch being built on the workers: where it starts in the order, its positions, and its parts. */
    private record Prefetch(int from, int[] positions, List<Future<float[][]>> parts) {

        /** Waits for the parts and adds the images that decoded to {@code rows}, in order. */
        void collectInto(List<Loaded> rows) {
            int k = 0;
            for (Future<float[][]> part : parts) {
                for (float[] values : NativeWorkers.await(part, "building a batch of images")) {
                    if (values != null) {
                        rows.add(new Loaded(positions[k], values));
                    }
                    k++;
                }
            }
        }
    }
}
