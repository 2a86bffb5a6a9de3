package org.cnnkit.zoo;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.function.DoubleConsumer;
import java.util.function.Supplier;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.data.ImageDataSetIterator;
import org.cnnkit.core.data.ImageFolder;
import org.cnnkit.core.data.LabeledImage;
import org.cnnkit.core.image.Augmentation;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.core.metrics.ClassificationMetrics;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.core.progress.ProgressTracker;
import org.cnnkit.core.runtime.NativeWorkers;
import org.cnnkit.zoo.weights.KerasWeights;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Transfer-learns an ImageNet-pretrained {@link MobileNetV2} to new classes: the base stays frozen and a head of
 * GlobalAveragePooling + Dense(hidden, relu) + Dense(classes, softmax) is trained, as in the Keras notebook, with
 * MobileNetV2's own preprocessing (pixels to [-1, 1], {@link Preprocessing#MOBILENET_V2}).
 *
 * <p><b>Feature caching</b> (the default): since the frozen base gives the same output for the same input, the
 * pooled base features of every training image are computed once, for {@code K} views of each image (the training
 * iterator runs {@code K} times; with augmentation each pass is a new random view), and the head trains on the cached
 * features: epoch {@code e} uses view {@code (e - 1) mod K} of every image, so an epoch has as many steps as one pass
 * over the images, like training with the base in the loop, but costs only the head. Without caching
 * ({@code optFeatureCaching(false)}) the base runs in every training step; both give the same kind of network.
 *
 * <p><b>Fine-tuning</b> ({@link Builder#optFineTuning}): after the head, the last {@code k} inverted residual blocks
 * (and the final {@code Conv_1}) are unfrozen and the network trains end to end at a lower learning rate, with the
 * images in the loop and every batch normalization in inference mode, on {@link MobileNetV2FineTuning} (whose fast
 * path runs the frozen part as a compiled inference plan).
 *
 * <p>The result is an {@link ImageClassifier} whose one graph holds base and head, so it saves to one file and
 * predicts from images.
 *
 * <pre>{@code
 * Path weights = PretrainedWeights.builder().build().resolve(WeightsSource.mobileNetV2NoTop(0.35, 224));
 * TrainingResult result = TransferLearner.builder()
 *         .setWeights(weights).optAlpha(0.35).optInputShape(InputShape.rgb(100))
 *         .build()
 *         .train(Path.of("digits"));
 * result.classifier().save(Path.of("digits-mobilenet.cnnkit"));
 * }</pre>
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
    private final double validationSplit;
    private final Augmentation augmentation;
    private final int fineTuneBlocks;
    private final double fineTuneLearningRate;
    private final int fineTuneEpochs;
    private final long seed;
    private final ProgressListener progressListener;
    private final EpochListener epochListener;

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
        this.validationSplit = b.validationSplit;
        this.augmentation = b.augmentation;
        this.fineTuneBlocks = b.fineTuneBlocks;
        this.fineTuneLearningRate = b.fineTuneLearningRate;
        this.fineTuneEpochs = b.fineTuneEpochs;
        this.seed = b.seed;
        this.progressListener = b.progressListener;
        this.epochListener = b.epochListener;
    }

    /**
     * Returns a builder: weights (or an explicitly untrained base) are required.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return the base architecture (alpha, input shape)} */
    public MobileNetV2 architecture() {
        return architecture;
    }

    /** {@return the model name recorded in the provenance, such as {@code mobilenetv2-0.35-transfer}} */
    public String modelName() {
        return "mobilenetv2-" + architecture.alpha() + "-transfer";
    }

    /**
     * Trains on a class-per-folder image tree: scans it, splits each class's files (stratified, seeded) into training
     * and validation files, and trains with the training files augmented and the validation files plain.
     *
     * @param folder the root folder, one sub-folder per class
     * @return the classifier, its history, its validation metrics and the files it skipped
     * @throws CnnkitException naming the path if the folder is missing, has fewer than 2 class folders or a class
     *     without images, or if the weights cannot be loaded
     */
    public TrainingResult train(Path folder) {
        return train(ImageFolder.scan(folder));
    }

    /**
     * Trains on a scanned class-per-folder image tree, as {@link #train(Path)}.
     *
     * @param folder the scanned folder
     * @return the classifier, its history, its validation metrics and the files it skipped
     * @throws CnnkitException if the folder has fewer than 2 classes or the weights cannot be loaded
     */
    public TrainingResult train(ImageFolder folder) {
        FolderSplit split = FolderSplit.of(folder, validationSplit, seed);
        LOG.info("transfer-learning {} on {}", modelName(), split.summary());
        try (ImageDataSetIterator train = iterator(split.train(), split.classes(), augmentation);
                ImageDataSetIterator validation = split.validation().isEmpty()
                        ? null : iterator(split.validation(), split.classes(), Augmentation.none())) {
            return run(train, validation, split.classes(), split.summary())
                    .withSkippedOf(train, validation);
        }
    }

    /**
     * Trains on batches of images that are already decoded and labelled. They must be NCHW images of this learner's
     * input shape with pixels scaled to [-1, 1] ({@link Preprocessing#MOBILENET_V2}), which the classifier records
     * for later predictions; the validation batches must not be augmented.
     *
     * @param train training batches; run {@code K} times with feature caching, once per epoch without, and once
     *     per fine-tuning epoch; reset before each pass, so it must support reset unless only one pass is made
     * @param validation validation batches, or null for none
     * @param classNames the class name of each label column, at least 2
     * @return the classifier, its history, its validation metrics and the files it skipped
     * @throws IllegalArgumentException if fewer than 2 class names are given
     * @throws CnnkitException if the training iterator cannot be reset but more than one pass is needed (checked
     *     before anything is loaded or trained), the weights cannot be loaded, the data gives no batch, or its labels
     *     do not match the class names
     */
    public TrainingResult train(DataSetIterator train, DataSetIterator validation, List<String> classNames) {
        return run(train, validation, classNames, "in-memory batches");
    }

    private TrainingResult run(DataSetIterator train, DataSetIterator validation, List<String> classNames,
            String datasetSummary) {
        Objects.requireNonNull(train, "train");
        if (classNames == null || classNames.size() < 2) {
            throw new IllegalArgumentException("transfer learning needs at least 2 class names, got " + classNames);
        }
        int passes = trainingPasses();
        if (passes > 1 && !train.resetSupported()) {
            throw new CnnkitException("the training iterator cannot be reset, so it cannot serve the " + passes
                    + " passes over the training data that this learner makes ("
                    + (featureCaching ? views + " feature view(s)" : epochs + " epoch(s)")
                    + (fineTuneBlocks > 0 ? " + " + fineTuneEpochs + " fine-tuning epoch(s)" : "") + ")");
        }
        long start = System.nanoTime();
        ComputationGraph base = loadBase();
        List<EpochStats> history = new ArrayList<>();
        ComputationGraph network;
        if (featureCaching) {
            network = trainWithCachedFeatures(base, train, validation, classNames, history);
        } else {
            network = TransferNetworks.classifier(base, MobileNetV2.OUTPUT_NAME, architecture.outputChannels(),
                    hiddenUnits, classNames.size(), learningRate, seed, null);
            ComputationGraph inLoop = network;
            trainEndToEnd((batches, losses) -> {
                while (batches.hasNext()) {
                    inLoop.fit(batches.next());
                    losses.accept(inLoop.score());
                }
            }, () -> inLoop, train, validation, classNames.size(), epochs, history);
        }
        if (fineTuneBlocks > 0) {
            MobileNetV2FineTuning fineTuning = MobileNetV2FineTuning.builder()
                    .setArchitecture(architecture)
                    .setNumClasses(classNames.size())
                    .optWeightsFrom(network) // the trained classifier: base and head
                    .optTrainableBlocks(fineTuneBlocks)
                    .optLearningRate(fineTuneLearningRate)
                    .optHiddenUnits(hiddenUnits)
                    .optSeed(seed)
                    .build();
            LOG.info("fine-tuning the last {} blocks at learning rate {} ({})", fineTuneBlocks, fineTuneLearningRate,
                    fineTuning.usesFastPath() ? "frozen part as a compiled inference plan" : "DL4J's fit");
            trainEndToEnd(fineTuning::fit, fineTuning::network, train, validation, classNames.size(),
                    fineTuneEpochs, history);
            network = fineTuning.trainedNetwork();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        ImageClassifier classifier = ImageClassifier.builder()
                .setNetwork(network)
                .setClassNames(classNames)
                .setInputShape(architecture.inputShape())
                .setPreprocessing(Preprocessing.MOBILENET_V2)
                .optProvenance(ModelProvenance.of(modelName(), seed, settings(), datasetSummary))
                .build();
        Optional<ClassificationMetrics> metrics = validation == null
                ? Optional.empty() : Optional.of(classifier.evaluate(validation));
        return new TrainingResult(classifier, new TrainingHistory(history, history.size(), false, seconds), metrics);
    }

    /**
     * Returns how many times the training iterator is run: once per cached view (or per epoch without feature
     * caching), plus once per fine-tuning epoch.
     */
    private int trainingPasses() {
        return (featureCaching ? views : epochs) + (fineTuneBlocks > 0 ? fineTuneEpochs : 0);
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

    private ComputationGraph trainWithCachedFeatures(ComputationGraph base, DataSetIterator train,
            DataSetIterator validation, List<String> classNames, List<EpochStats> history) {
        long start = System.nanoTime();
        // The frozen base only infers here: its batch normalization and padding are folded into the convolutions.
        // On the fastest engine (ONNX Runtime when present), which runs the snapshot of the base's weights taken here.
        FeatureCache trainFeatures;
        FeatureCache validationFeatures = null;
        try (InferenceSession pooled = InferenceEngine.openFastest(InferenceFolding.fold(
                TransferNetworks.pooledBase(base), architecture.inputShape()), architecture.inputShape(),
                Preprocessing.MOBILENET_V2)) {
            long total = train instanceof ImageDataSetIterator images ? (long) images.totalExamples() * views : -1;
            ProgressTracker tracker = ProgressTracker.start("extracting features (" + views + " view"
                    + (views > 1 ? "s" : "") + ")", total, progressListener);
            trainFeatures = FeatureCache.extract(pooled, train, views, tracker);
            tracker.finish();
            checkLabels(trainFeatures.labels().get(0), classNames);
            if (validation != null) {
                ProgressTracker validationTracker = ProgressTracker.start("extracting validation features", -1,
                        progressListener);
                validationFeatures = FeatureCache.extract(pooled, validation, 1, validationTracker);
                validationTracker.finish();
                checkLabels(validationFeatures.labels().get(0), classNames);
            }
        }
        LOG.info("cached {} view(s) of {}-d features of {} training images in {} s", views,
                trainFeatures.channels(), trainFeatures.rows(),
                String.format(Locale.ROOT, "%.1f", (System.nanoTime() - start) / 1e9));

        ComputationGraph head = TransferNetworks.head(trainFeatures.channels(), hiddenUnits, classNames.size(),
                learningRate, seed);
        trainHead(head, trainFeatures, validationFeatures, history);
        return TransferNetworks.classifier(base, MobileNetV2.OUTPUT_NAME, architecture.outputChannels(), hiddenUnits,
                classNames.size(), learningRate, seed, head);
    }

    /**
     * Trains the head on the cached features. Its operations are tiny (a batch of 32 x 1280 features), so each
     * epoch's steps run on one worker thread with single-threaded native operations: spread over 2 OpenMP threads
     * they kept waiting for each other (the frozen-base benchmark step's head took 92-250 ms over 5 steps against
     * 58-67 single-threaded).
     */
    private void trainHead(ComputationGraph head, FeatureCache train, FeatureCache validation,
            List<EpochStats> history) {
        NativeWorkers worker = NativeWorkers.create(1, "cnnkit-head");
        BatchAccuracy accuracy = new BatchAccuracy(head);
        head.setListeners(accuracy);
        int rows = train.rows();
        Random random = new Random(seed);
        ProgressTracker tracker = ProgressTracker.start("training head", epochs, progressListener);
        for (int epoch = 1; epoch <= epochs; epoch++) {
            long start = System.nanoTime();
            int view = (epoch - 1) % views;
            INDArray features = train.views().get(view);
            INDArray labels = train.labels().get(view);
            int[] order = shuffled(rows, random);
            HeadEpoch fitted = worker.run(() -> fitHeadEpoch(head, accuracy, features, labels, order),
                    "training the head");
            double validationLoss = Double.NaN;
            double validationAccuracy = Double.NaN;
            if (validation != null) {
                INDArray y = validation.labels().get(0);
                INDArray probabilities = worker.run(() -> head.outputSingle(false, validation.views().get(0)),
                        "validating the head");
                validationLoss = crossEntropy(probabilities, y);
                validationAccuracy = (double) BatchAccuracy.countCorrect(probabilities, y) / y.size(0);
            }
            record(new EpochStats(history.size() + 1, fitted.loss() / rows, (double) fitted.correct() / rows,
                    validationLoss, validationAccuracy, (System.nanoTime() - start) / 1e9), history);
            tracker.advance(1);
        }
        tracker.finish();
    }

    /**
     * Fits the head once on every row, in the given order and in batches, on the calling thread. Each batch's
     * correct predictions are counted by {@link BatchAccuracy} from the forward pass of its own fit step, so with
     * the weights before that step's update (as its loss), without a forward pass of their own; only if the listener
     * did not see the batch are they counted by a forward pass after the update.
     *
     * @return the loss summed over the rows, and the number of correct predictions
     */
    private HeadEpoch fitHeadEpoch(ComputationGraph head, BatchAccuracy accuracy, INDArray features, INDArray labels,
            int[] order) {
        double loss = 0;
        long correct = 0;
        for (int from = 0; from < order.length; from += batchSize) {
            int[] idx = Arrays.copyOfRange(order, from, Math.min(order.length, from + batchSize));
            INDArray x = features.getRows(idx);
            INDArray y = labels.getRows(idx);
            accuracy.expect(y);
            head.fit(new DataSet(x, y));
            loss += head.score() * idx.length;
            correct += accuracy.observed() ? accuracy.correct()
                    : BatchAccuracy.countCorrect(head.outputSingle(false, x), y);
        }
        return new HeadEpoch(loss, correct);
    }

    /**
     * Trains with the images in the loop: {@code step} makes one training step on a batch and returns its loss;
     * {@code network} gives the network to validate after each epoch.
     */
    /** Runs one training step per batch, in order, and reports each step's loss in order. */
    private interface EpochSteps {
        void run(Iterator<DataSet> batches, DoubleConsumer losses);
    }

    private void trainEndToEnd(EpochSteps steps, Supplier<ComputationGraph> network,
            DataSetIterator train, DataSetIterator validation, int numClasses, int epochCount,
            List<EpochStats> history) {
        for (int epoch = 1; epoch <= epochCount; epoch++) {
            long start = System.nanoTime();
            if (train.resetSupported()) {
                train.reset(); // run() refused an iterator without reset when there is more than one pass
            }
            ProgressTracker tracker = ProgressTracker.start("epoch " + (history.size() + 1), -1, progressListener);
            double[] loss = {0};
            long[] examples = {0};
            // a step may take the next batch before it reports the current one's loss: sizes in order
            Deque<Integer> sizes = new ArrayDeque<>();
            Iterator<DataSet> batches = new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return train.hasNext();
                }

                @Override
                public DataSet next() {
                    DataSet batch = train.next();
                    sizes.add(batch.numExamples());
                    return batch;
                }
            };
            steps.run(batches, batchLoss -> {
                int n = sizes.remove();
                loss[0] += batchLoss * n;
                examples[0] += n;
                tracker.advance(n);
            });
            tracker.finish();
            if (examples[0] == 0) {
                throw new CnnkitException("the training data gave no images in epoch " + epoch);
            }
            double[] validationFigures = validation == null ? new double[] {Double.NaN, Double.NaN}
                    : ClassifierTrainer.validate(network.get(), validation, numClasses);
            record(new EpochStats(history.size() + 1, loss[0] / examples[0], Double.NaN, validationFigures[0],
                    validationFigures[1], (System.nanoTime() - start) / 1e9), history);
        }
    }

    /** One epoch of head training: the loss summed over the rows, and the correct predictions. */
    private record HeadEpoch(double loss, long correct) {
    }

    private void record(EpochStats stats, List<EpochStats> history) {
        history.add(stats);
        LOG.info("{}", stats);
        epochListener.onEpoch(stats, epochs + (fineTuneBlocks > 0 ? fineTuneEpochs : 0));
    }

    private Map<String, String> settings() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("alpha", Double.toString(architecture.alpha()));
        settings.put("weights", weights == null ? "random" : weights.getFileName().toString());
        settings.put("epochs", Integer.toString(epochs));
        settings.put("batch_size", Integer.toString(batchSize));
        settings.put("learning_rate", Double.toString(learningRate));
        settings.put("hidden_units", Integer.toString(hiddenUnits));
        settings.put("optimizer", "adam");
        settings.put("loss", "categorical_crossentropy");
        settings.put("input_shape", architecture.inputShape().toString());
        settings.put("preprocessing", Preprocessing.MOBILENET_V2.name());
        settings.put("feature_caching", Boolean.toString(featureCaching));
        settings.put("views", Integer.toString(views));
        settings.put("validation_split", Double.toString(validationSplit));
        settings.put("augmentation", augmentation.toString());
        settings.put("fine_tune_blocks", Integer.toString(fineTuneBlocks));
        if (fineTuneBlocks > 0) {
            settings.put("fine_tune_learning_rate", Double.toString(fineTuneLearningRate));
            settings.put("fine_tune_epochs", Integer.toString(fineTuneEpochs));
        }
        return settings;
    }

    private ImageDataSetIterator iterator(List<LabeledImage> images, List<String> classes, Augmentation steps) {
        return ImageDataSetIterator.builder()
                .setImages(images)
                .setNumClasses(classes.size())
                .setInputShape(architecture.inputShape())
                .optPreprocessing(Preprocessing.MOBILENET_V2)
                .optAugmentation(steps)
                .optBatchSize(batchSize)
                .optShuffle(true)
                .optSeed(seed)
                .optClassNames(classes)
                .optProgressListener(progressListener)
                .build();
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

    private static double crossEntropy(INDArray probabilities, INDArray labels) {
        INDArray clipped = Transforms.max(probabilities, 1e-7, true);
        return -Transforms.log(clipped, false).muli(labels).sumNumber().doubleValue() / labels.size(0);
    }

    private static void checkLabels(INDArray labels, List<String> classNames) {
        if (labels.rank() != 2 || labels.size(1) != classNames.size()) {
            throw new CnnkitException("the batches have labels of shape " + Arrays.toString(labels.shape())
                    + " but " + classNames.size() + " class names were given: " + classNames);
        }
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
        private double validationSplit = 0.2;
        private Augmentation augmentation = Augmentation.none();
        private int fineTuneBlocks;
        private double fineTuneLearningRate = 1e-4;
        private int fineTuneEpochs;
        private long seed = 42;
        private ProgressListener progressListener = ProgressListener.none();
        private EpochListener epochListener = EpochListener.none();

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
         * Sets the minibatch size (default 32): of the head on cached features, and of the image iterators that
         * {@link #train(Path)} makes.
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
         * Sets the fraction of each class held out for validation by {@link #train(Path)} (default 0.2).
         *
         * @param validationSplit in [0, 1); 0 trains on everything
         * @return this builder
         */
        public Builder optValidationSplit(double validationSplit) {
            this.validationSplit = validationSplit;
            return this;
        }

        /**
         * Sets the augmentation of training images in {@link #train(Path)} (default none); with feature caching,
         * use K above 1 ({@link #optViews}) so that the head sees several augmented views.
         *
         * @param augmentation the augmentation
         * @return this builder
         */
        public Builder optAugmentation(Augmentation augmentation) {
            this.augmentation = Objects.requireNonNull(augmentation, "augmentation");
            return this;
        }

        /**
         * After the head, unfreezes the last {@code lastBlocks} blocks and {@code Conv_1} and trains end to end
         * (default: no fine-tuning).
         *
         * @param lastBlocks blocks to unfreeze, 1 to 17
         * @param learningRate the Adam learning rate of fine-tuning, such as 1e-4
         * @param epochs epochs of fine-tuning, at least 1
         * @return this builder
         */
        public Builder optFineTuning(int lastBlocks, double learningRate, int epochs) {
            this.fineTuneBlocks = lastBlocks;
            this.fineTuneLearningRate = learningRate;
            this.fineTuneEpochs = epochs;
            return this;
        }

        /**
         * Sets the seed of the head's initialisation, the split and the shuffling of cached features (default 42).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Sets the listener of decoding, feature extraction and training progress.
         *
         * @param progressListener the listener
         * @return this builder
         */
        public Builder optProgressListener(ProgressListener progressListener) {
            this.progressListener = Objects.requireNonNull(progressListener, "progressListener");
            return this;
        }

        /**
         * Sets the listener told about each finished epoch (head epochs, then fine-tuning epochs).
         *
         * @param epochListener the listener
         * @return this builder
         */
        public Builder optEpochListener(EpochListener epochListener) {
            this.epochListener = Objects.requireNonNull(epochListener, "epochListener");
            return this;
        }

        /**
         * Validates the settings.
         *
         * @return the learner
         * @throws IllegalArgumentException if weights are missing (and the base is not explicitly untrained), or a
         *     setting is out of range (including the alpha and input shape, see {@link MobileNetV2.Builder#build()})
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
            if (!(validationSplit >= 0 && validationSplit < 1)) {
                throw new IllegalArgumentException("validation split must be in [0, 1), got " + validationSplit);
            }
            if (fineTuneBlocks != 0 && (fineTuneBlocks < 1 || fineTuneBlocks > MobileNetV2.BLOCK_COUNT
                    || fineTuneEpochs < 1 || !(fineTuneLearningRate > 0))) {
                throw new IllegalArgumentException("fine-tuning needs 1 to " + MobileNetV2.BLOCK_COUNT
                        + " blocks, at least 1 epoch and a positive learning rate, got " + fineTuneBlocks + ", "
                        + fineTuneEpochs + ", " + fineTuneLearningRate);
            }
            return new TransferLearner(this);
        }
    }
}
