package org.cnnkit.zoo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.core.progress.ProgressTracker;
import org.cnnkit.zoo.weights.KerasWeights;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Transfer-learns an ImageNet-pretrained {@link MobileNetV2} to new classes: the base stays frozen and a head of
 * GlobalAveragePooling + Dense(hidden, relu) + Dense(classes, softmax) is trained, as in the Keras notebook.
 *
 * <p><b>Feature caching</b> (the default): since the frozen base gives the same output for the same input, the
 * pooled base features of every training image are computed once, for {@code K} views of each image (the
 * training iterator is run {@code K} times; with augmentation each pass is a new random view), and the head trains on
 * the cached features: epoch {@code e} uses view {@code e mod K} of every image, so an epoch has as many steps as one
 * pass over the images, exactly like training with the base in the loop, but costs only the head. Without caching
 * ({@code optFeatureCaching(false)}) the base runs in every training step; both give the same kind of network.
 *
 * <p>The result holds base and head in one {@link ComputationGraph} (input NCHW images preprocessed with
 * {@link org.cnnkit.core.image.Preprocessing#MOBILENET_V2}, output class probabilities), so it predicts from images.
 * {@link #fineTune} then optionally unfreezes the last blocks and trains end to end at a lower learning rate.
 *
 * <p>The iterators must give NCHW images of the learner's input shape with pixels scaled to [-1, 1]
 * ({@code Preprocessing.MOBILENET_V2}) and one-hot labels; the validation iterator must not augment.
 */
public final class TransferLearner {

    private static final Logger LOG = LoggerFactory.getLogger(TransferLearner.class);

    private final MobileNetV2 architecture;
    private final Path weights;
    private final int epochs;
    private final int batchSize;
    private final double learningRate;
    private final int hiddenUnits;
    private final int views;
    private final boolean featureCaching;
    private final long seed;
    private final ProgressListener progressListener;

    private TransferLearner(Builder b) {
        this.architecture = MobileNetV2.builder().optAlpha(b.alpha).setInputShape(b.inputShape).optSeed(b.seed)
                .build();
        this.weights = b.weights;
        this.epochs = b.epochs;
        this.batchSize = b.batchSize;
        this.learningRate = b.learningRate;
        this.hiddenUnits = b.hiddenUnits;
        this.views = b.views;
        this.featureCaching = b.featureCaching;
        this.seed = b.seed;
        this.progressListener = b.progressListener;
    }

    /**
     * Returns a builder: weights (or an explicitly untrained base) are required.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Returns the base architecture (alpha, input shape). */
    public MobileNetV2 architecture() {
        return architecture;
    }

    /**
     * Builds the base with its weights and trains the head.
     *
     * @param train training images and labels; run {@code K} times with feature caching, once per epoch without
     * @param validation validation images and labels (never augmented), or null for none
     * @param classNames the class name of each label column, at least 2
     * @return the trained network and the figures of every epoch
     * @throws CnnkitException if the weights cannot be loaded, the data is empty or its labels do not match the
     *     class names
     */
    public TransferResult train(DataSetIterator train, DataSetIterator validation, List<String> classNames) {
        Objects.requireNonNull(train, "train");
        checkClasses(classNames);
        ComputationGraph base = loadBase();
        long start = System.nanoTime();
        if (!featureCaching) {
            ComputationGraph network = TransferNetworks.classifier(base, MobileNetV2.OUTPUT_NAME,
                    architecture.outputChannels(), hiddenUnits, classNames.size(), learningRate, seed, null);
            List<EpochFigures> history = trainEndToEnd(network, train, validation, epochs);
            return new TransferResult(network, classNames, architecture, history, 0.0, seconds(start));
        }

        ComputationGraph pooled = TransferNetworks.pooledBase(base);
        long total = train instanceof org.cnnkit.core.data.ImageDataSetIterator images
                ? (long) images.totalExamples() * views : -1;
        ProgressTracker tracker = ProgressTracker.start("extracting features (" + views + " view"
                + (views > 1 ? "s" : "") + ")", total, progressListener);
        FeatureCache trainFeatures = FeatureCache.extract(pooled, train, views, tracker);
        tracker.finish();
        FeatureCache validationFeatures = null;
        if (validation != null) {
            ProgressTracker validationTracker = ProgressTracker.start("extracting validation features", -1,
                    progressListener);
            validationFeatures = FeatureCache.extract(pooled, validation, 1, validationTracker);
            validationTracker.finish();
        }
        checkLabels(trainFeatures.labels().get(0), classNames);
        double featureSeconds = seconds(start);
        LOG.info("cached {} x {} features of {} training images in {} s", views, trainFeatures.channels(),
                trainFeatures.rows(), String.format("%.1f", featureSeconds));

        long trainStart = System.nanoTime();
        ComputationGraph head = TransferNetworks.head(trainFeatures.channels(), hiddenUnits, classNames.size(),
                learningRate, seed);
        List<EpochFigures> history = trainHead(head, trainFeatures, validationFeatures);
        ComputationGraph network = TransferNetworks.classifier(base, MobileNetV2.OUTPUT_NAME,
                architecture.outputChannels(), hiddenUnits, classNames.size(), learningRate, seed, head);
        return new TransferResult(network, classNames, architecture, history, featureSeconds, seconds(trainStart));
    }

    /**
     * Fine-tunes a trained network end to end with its last {@code lastBlocks} inverted residual blocks (and the final
     * {@code Conv_1}) unfrozen, at a (usually lower) learning rate; the rest of the base stays frozen. The images run
     * through the network in every step (no caching is possible once the base changes).
     *
     * @param trained a network made by {@link #train} with this learner's architecture
     * @param train training images and labels
     * @param validation validation images and labels, or null
     * @param lastBlocks the number of blocks to unfreeze, 0 to 17
     * @param fineTuneLearningRate the learning rate, such as a tenth of the head's
     * @param fineTuneEpochs the number of epochs, at least 1
     * @return the fine-tuned network (a new graph) and its figures
     * @throws IllegalArgumentException if a setting is out of range
     */
    public TransferResult fineTune(TransferResult trained, DataSetIterator train, DataSetIterator validation,
            int lastBlocks, double fineTuneLearningRate, int fineTuneEpochs) {
        if (fineTuneEpochs < 1 || !(fineTuneLearningRate > 0)) {
            throw new IllegalArgumentException("fine-tuning needs at least 1 epoch and a positive learning rate");
        }
        String frozenUpTo = architecture.frozenUpToForLastBlocks(lastBlocks);
        ComputationGraph base = architecture.newGraph();
        for (Layer layer : base.getLayers()) {
            if (layer.numParams() > 0) {
                String name = layer.conf().getLayer().getLayerName();
                layer.params().assign(trained.network().getLayer(name).params());
            }
        }
        ComputationGraph headSource = trained.network();
        ComputationGraph network = TransferNetworks.classifier(base, frozenUpTo, architecture.outputChannels(),
                hiddenUnits, trained.classNames().size(), fineTuneLearningRate, seed, null);
        network.getLayer(TransferNetworks.DENSE).params().assign(headSource.getLayer(TransferNetworks.DENSE).params());
        network.getLayer(TransferNetworks.OUTPUT).params().assign(headSource.getLayer(TransferNetworks.OUTPUT).params());
        LOG.info("fine-tuning the last {} blocks (frozen up to {}) at learning rate {}", lastBlocks, frozenUpTo,
                fineTuneLearningRate);
        long start = System.nanoTime();
        List<EpochFigures> history = trainEndToEnd(network, train, validation, fineTuneEpochs);
        return new TransferResult(network, trained.classNames(), architecture, history, 0.0, seconds(start));
    }

    private ComputationGraph loadBase() {
        ComputationGraph base = architecture.newGraph();
        if (weights == null) {
            LOG.warn("MobileNetV2 base with random weights: transfer learning needs pretrained weights");
            return base;
        }
        try (KerasWeights file = KerasWeights.open(weights)) {
            file.loadInto(base);
        }
        return base;
    }

    private List<EpochFigures> trainHead(ComputationGraph head, FeatureCache train, FeatureCache validation) {
        List<EpochFigures> history = new ArrayList<>();
        int rows = train.rows();
        Random random = new Random(seed);
        ProgressTracker tracker = ProgressTracker.start("training head", epochs, progressListener);
        for (int epoch = 1; epoch <= epochs; epoch++) {
            long start = System.nanoTime();
            int view = (epoch - 1) % views;
            INDArray features = train.views().get(view);
            INDArray labels = train.labels().get(view);
            int[] order = shuffled(rows, random);
            double loss = 0;
            long correct = 0;
            for (int from = 0; from < rows; from += batchSize) {
                int[] idx = java.util.Arrays.copyOfRange(order, from, Math.min(rows, from + batchSize));
                INDArray x = features.getRows(idx);
                INDArray y = labels.getRows(idx);
                correct += countCorrect(head.outputSingle(false, x), y);
                head.fit(new DataSet(x, y));
                loss += head.score() * idx.length;
            }
            EpochFigures figures = validation == null
                    ? new EpochFigures(epoch, loss / rows, (double) correct / rows, Double.NaN, Double.NaN,
                            seconds(start))
                    : evaluateFeatures(head, validation, epoch, loss / rows, (double) correct / rows, start);
            LOG.info("{}", figures);
            history.add(figures);
            tracker.advance(1);
        }
        tracker.finish();
        return history;
    }

    private EpochFigures evaluateFeatures(ComputationGraph head, FeatureCache validation, int epoch, double trainLoss,
            double trainAccuracy, long start) {
        INDArray x = validation.views().get(0);
        INDArray y = validation.labels().get(0);
        INDArray probabilities = head.outputSingle(false, x);
        return new EpochFigures(epoch, trainLoss, trainAccuracy, crossEntropy(probabilities, y),
                (double) countCorrect(probabilities, y) / x.size(0), seconds(start));
    }

    private List<EpochFigures> trainEndToEnd(ComputationGraph network, DataSetIterator train,
            DataSetIterator validation, int epochCount) {
        List<EpochFigures> history = new ArrayList<>();
        for (int epoch = 1; epoch <= epochCount; epoch++) {
            long start = System.nanoTime();
            if (train.resetSupported()) {
                train.reset();
            }
            double loss = 0;
            long examples = 0;
            ProgressTracker tracker = ProgressTracker.start("epoch " + epoch + "/" + epochCount, -1,
                    progressListener);
            while (train.hasNext()) {
                DataSet batch = train.next();
                network.fit(batch);
                loss += network.score() * batch.numExamples();
                examples += batch.numExamples();
                tracker.advance(batch.numExamples());
            }
            tracker.finish();
            if (examples == 0) {
                throw new CnnkitException("no training images (the iterator gave no batch)");
            }
            double validationLoss = Double.NaN;
            double validationAccuracy = Double.NaN;
            if (validation != null) {
                if (validation.resetSupported()) {
                    validation.reset();
                }
                double sum = 0;
                long correct = 0;
                long count = 0;
                while (validation.hasNext()) {
                    DataSet batch = validation.next();
                    INDArray probabilities = network.outputSingle(false, batch.getFeatures());
                    sum += crossEntropy(probabilities, batch.getLabels()) * batch.numExamples();
                    correct += countCorrect(probabilities, batch.getLabels());
                    count += batch.numExamples();
                }
                validationLoss = sum / count;
                validationAccuracy = (double) correct / count;
            }
            EpochFigures figures = new EpochFigures(epoch, loss / examples, Double.NaN, validationLoss,
                    validationAccuracy, seconds(start));
            LOG.info("{}", figures);
            history.add(figures);
        }
        return history;
    }

    private static int[] shuffled(int n, Random random) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    static long countCorrect(INDArray probabilities, INDArray labels) {
        INDArray predicted = probabilities.argMax(1);
        INDArray actual = labels.argMax(1);
        return predicted.eq(actual).castTo(org.nd4j.linalg.api.buffer.DataType.INT).sumNumber().longValue();
    }

    static double crossEntropy(INDArray probabilities, INDArray labels) {
        INDArray clipped = Transforms.max(probabilities, 1e-7, true);
        return -Transforms.log(clipped, false).mul(labels).sum(1).meanNumber().doubleValue();
    }

    private static void checkClasses(List<String> classNames) {
        if (classNames == null || classNames.size() < 2) {
            throw new IllegalArgumentException("transfer learning needs at least 2 class names, got " + classNames);
        }
    }

    private static void checkLabels(INDArray labels, List<String> classNames) {
        if (labels.size(1) != classNames.size()) {
            throw new CnnkitException("the training labels have " + labels.size(1) + " columns but "
                    + classNames.size() + " class names were given: " + classNames);
        }
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** Builds a {@link TransferLearner}; weights are required unless {@link #optUntrainedBase()} is called. */
    public static final class Builder {

        private double alpha = 1.0;
        private InputShape inputShape = InputShape.rgb(224);
        private Path weights;
        private boolean untrainedBase;
        private int epochs = 10;
        private int batchSize = 32;
        private double learningRate = 1e-3;
        private int hiddenUnits = 128;
        private int views = 1;
        private boolean featureCaching = true;
        private long seed = 42;
        private ProgressListener progressListener = ProgressListener.none();

        private Builder() {
        }

        /**
         * Sets the Keras no-top weights file of the base, matching alpha (see
         * {@link org.cnnkit.zoo.weights.PretrainedWeights} to find or download it).
         *
         * @param weights the {@code .h5} file
         * @return this builder
         */
        public Builder setWeights(Path weights) {
            this.weights = Objects.requireNonNull(weights, "weights");
            return this;
        }

        /**
         * Trains on a base with random weights instead of pretrained ones (for tests and experiments only).
         *
         * @return this builder
         */
        public Builder optUntrainedBase() {
            this.untrainedBase = true;
            return this;
        }

        /**
         * Sets the width multiplier of the base (default 1.0); it must match the weights.
         *
         * @param alpha the width multiplier
         * @return this builder
         */
        public Builder optAlpha(double alpha) {
            this.alpha = alpha;
            return this;
        }

        /**
         * Sets the input shape (default 224x224x3; at least 32x32, 3 channels).
         *
         * @param inputShape the shape
         * @return this builder
         */
        public Builder optInputShape(InputShape inputShape) {
            this.inputShape = Objects.requireNonNull(inputShape, "inputShape");
            return this;
        }

        /**
         * Sets the number of epochs of head training (default 10).
         *
         * @param epochs at least 1
         * @return this builder
         */
        public Builder optEpochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        /**
         * Sets the head's minibatch size on cached features (default 32); without caching the iterator's batches
         * are used.
         *
         * @param batchSize at least 1
         * @return this builder
         */
        public Builder optBatchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Sets the Adam learning rate of the head (default 1e-3).
         *
         * @param learningRate positive
         * @return this builder
         */
        public Builder optLearningRate(double learningRate) {
            this.learningRate = learningRate;
            return this;
        }

        /**
         * Sets the width of the hidden dense layer (default 128).
         *
         * @param hiddenUnits at least 1
         * @return this builder
         */
        public Builder optHiddenUnits(int hiddenUnits) {
            this.hiddenUnits = hiddenUnits;
            return this;
        }

        /**
         * Sets K, the number of views of each training image whose features are cached (default 1). Each view is a
         * pass of the training iterator; with augmentation every pass differs, without it use 1.
         *
         * @param views at least 1
         * @return this builder
         */
        public Builder optViews(int views) {
            this.views = views;
            return this;
        }

        /**
         * Sets whether the frozen base's features are cached (default true) or computed in every training step.
         *
         * @param featureCaching whether to cache
         * @return this builder
         */
        public Builder optFeatureCaching(boolean featureCaching) {
            this.featureCaching = featureCaching;
            return this;
        }

        /**
         * Sets the seed of the head's initialisation and of the shuffling of cached features (default 42).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Sets the listener of feature extraction and training progress.
         *
         * @param progressListener the listener
         * @return this builder
         */
        public Builder optProgressListener(ProgressListener progressListener) {
            this.progressListener = Objects.requireNonNull(progressListener, "progressListener");
            return this;
        }

        /**
         * Validates the settings.
         *
         * @return the learner
         * @throws IllegalArgumentException if weights are missing (and the base is not explicitly untrained), or a
         *     setting is out of range
         */
        public TransferLearner build() {
            if (weights == null && !untrainedBase) {
                throw new IllegalArgumentException("TransferLearner: setWeights(file) is required (Keras MobileNetV2"
                        + " no-top weights for alpha " + alpha + "); see PretrainedWeights");
            }
            if (epochs < 1 || batchSize < 1 || hiddenUnits < 1 || views < 1) {
                throw new IllegalArgumentException("epochs, batch size, hidden units and views must be at least 1,"
                        + " got " + epochs + ", " + batchSize + ", " + hiddenUnits + ", " + views);
            }
            if (!(learningRate > 0)) {
                throw new IllegalArgumentException("learning rate must be positive, got " + learningRate);
            }
            return new TransferLearner(this);
        }
    }
}
