package org.cnnkit.zoo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
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
import org.cnnkit.core.training.CompiledTrainingStep;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.linalg.schedule.ExponentialSchedule;
import org.nd4j.linalg.schedule.ScheduleType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains an {@link ImageClassifier} from scratch: builds a network with a {@link NetworkFactory} (the notebook's
 * CNN by default), fits it with Adam and categorical cross-entropy, validates after every epoch, and optionally
 * stops early on the validation loss, keeping the best weights.
 *
 * <pre>{@code
 * TrainingResult result = ClassifierTrainer.builder()
 *         .setEpochs(10)
 *         .optSeed(7)
 *         .optEpochListener((stats, epochs) -> System.out.println(stats))
 *         .build()
 *         .train(trainBatches, validationBatches, List.of("0", "1", "2"));
 * result.classifier().save(Path.of("digits.cnnkit"));
 * }</pre>
 *
 * <p><b>Reproducible</b>: the seed fixes the initial weights; with the same data in the same order (a seeded
 * iterator) and the same settings, two runs give the same weights and the same accuracy on this machine.
 */
public final class ClassifierTrainer {

    private static final Logger LOG = LoggerFactory.getLogger(ClassifierTrainer.class);
    private static final double LOG_FLOOR = 1e-10;

    private final int epochs;
    private final NetworkFactory networkFactory;
    private final InputShape inputShape;
    private final Preprocessing preprocessing;
    private final int batchSize;
    private final double learningRate;
    private final double learningRateDecay;
    private final long seed;
    private final double validationSplit;
    private final Augmentation augmentation;
    private final int earlyStoppingPatience;
    private final ProgressListener progressListener;
    private final EpochListener epochListener;

    private ClassifierTrainer(Builder b) {
        this.epochs = b.epochs;
        this.networkFactory = b.networkFactory;
        this.inputShape = b.inputShape;
        this.preprocessing = b.preprocessing;
        this.batchSize = b.batchSize;
        this.learningRate = b.learningRate;
        this.learningRateDecay = b.learningRateDecay;
        this.seed = b.seed;
        this.validationSplit = b.validationSplit;
        this.augmentation = b.augmentation;
        this.earlyStoppingPatience = b.earlyStoppingPatience;
        this.progressListener = b.progressListener;
        this.epochListener = b.epochListener;
    }

    /**
     * Starts a trainer configuration.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Trains on a class-per-folder image tree: scans it, splits each class's files into training and validation
     * files ({@link Builder#optValidationSplit}, stratified, seeded), then trains on the training files with
     * augmentation and validates on the validation files without it.
     *
     * @param folder the root folder, one sub-folder per class
     * @return the classifier, its history, its validation metrics and the files it skipped
     * @throws CnnkitException naming the path if the folder is missing, has fewer than 2 class folders or a class
     *     without images
     */
    public TrainingResult train(Path folder) {
        return train(ImageFolder.scan(folder));
    }

    /**
     * Trains on a scanned class-per-folder image tree, as {@link #train(Path)}.
     *
     * @param folder the scanned folder
     * @return the classifier, its history, its validation metrics and the files it skipped
     * @throws CnnkitException if the folder has fewer than 2 classes, or early stopping is on without validation
     */
    public TrainingResult train(ImageFolder folder) {
        FolderSplit split = FolderSplit.of(folder, validationSplit, seed);
        if (split.validation().isEmpty() && earlyStoppingPatience > 0) {
            throw new CnnkitException("early stopping watches the validation loss, but no validation images were"
                    + " held out of " + folder.root() + " (validation split " + validationSplit + ")");
        }
        LOG.info("training {} on {}", networkFactory.modelName(), split.summary());
        try (ImageDataSetIterator train = iterator(split.train(), split.classes(), augmentation, true);
             ImageDataSetIterator validation = split.validation().isEmpty()
                     ? null : iterator(split.validation(), split.classes(), Augmentation.none(), false)) {
            return run(train, validation, split.classes(), split.train().size(), split.summary())
                    .withSkippedOf(train, validation);
        }
    }

    private ImageDataSetIterator iterator(List<LabeledImage> images, List<String> classes, Augmentation steps,
                                          boolean shuffle) {
        return ImageDataSetIterator.builder()
                .setImages(images)
                .setNumClasses(classes.size())
                .setInputShape(inputShape)
                .optPreprocessing(preprocessing)
                .optAugmentation(steps)
                .optBatchSize(batchSize)
                .optShuffle(shuffle)
                .optSeed(seed)
                .optClassNames(classes)
                .optProgressListener(progressListener)
                .build();
    }

    /**
     * Trains on batches that are already decoded, preprocessed and labelled, for example from an in-memory list.
     * The images must have this trainer's {@link Builder#optInputShape input shape} and
     * {@link Builder#optPreprocessing preprocessing}, which the classifier records for later predictions; the
     * iterators' own batch size is used.
     *
     * @param train training batches (NCHW images, one-hot labels); reset before every epoch
     * @param validation validation batches, or {@code null} for none (then early stopping is not allowed)
     * @param classNames the class name of each label column
     * @return the classifier, its history, its validation metrics and the files it skipped
     * @throws IllegalArgumentException if fewer than 2 class names are given, or early stopping is on without
     *     validation data
     * @throws CnnkitException if the training iterator cannot be reset for the next epoch, gives no batch, or gives
     *     labels that do not match the class names
     */
    public TrainingResult train(DataSetIterator train, DataSetIterator validation, List<String> classNames) {
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(classNames, "classNames");
        if (classNames.size() < 2) {
            throw new IllegalArgumentException("a classifier needs at least 2 classes, got " + classNames);
        }
        if (validation == null && earlyStoppingPatience > 0) {
            throw new IllegalArgumentException("early stopping watches the validation loss: give validation data");
        }
        if (epochs > 1 && !train.resetSupported()) {
            throw new CnnkitException("the training iterator cannot be reset, so it cannot serve " + epochs + " epochs");
        }
        return run(train, validation, classNames, -1, "in-memory batches");
    }

    TrainingResult run(DataSetIterator train, DataSetIterator validation, List<String> classNames,
                       long trainImages, String datasetSummary) {
        ComputationGraph network = networkFactory.create(inputShape, classNames.size(), seed);
        if (learningRateDecay == 1.0) {
            network.setLearningRate(learningRate);
        } else {
            network.setLearningRate(new ExponentialSchedule(ScheduleType.EPOCH, learningRate, learningRateDecay));
        }
        // the compiled step (same weights as fit, faster) when the network has one and the fast paths are on
        Optional<CompiledTrainingStep> compiled = CompiledTrainingStep.of(network);
        BatchAccuracy accuracy = new BatchAccuracy(network);
        if (compiled.isEmpty()) {
            network.setListeners(accuracy);
        }
        long start = System.nanoTime();
        List<EpochStats> history = new ArrayList<>();
        INDArray bestParams = null;
        double bestLoss = Double.POSITIVE_INFINITY;
        int bestEpoch = 0;
        boolean stoppedEarly = false;
        try {
            for (int epoch = 1; epoch <= epochs; epoch++) {
                EpochStats stats = trainEpoch(network, compiled, accuracy, train, validation, classNames.size(),
                        epoch, trainImages);
                history.add(stats);
                LOG.debug("{}", stats);
                epochListener.onEpoch(stats, epochs);
                if (earlyStoppingPatience > 0) {
                    if (stats.validationLoss() < bestLoss) {
                        bestLoss = stats.validationLoss();
                        bestEpoch = epoch;
                        bestParams = network.params().dup();
                    } else if (epoch - bestEpoch >= earlyStoppingPatience) {
                        stoppedEarly = epoch < epochs;
                        LOG.info("early stopping after epoch {}: validation loss has not improved for {} epochs;"
                                + " keeping the weights of epoch {}", epoch, earlyStoppingPatience, bestEpoch);
                        break;
                    }
                } else {
                    bestEpoch = epoch;
                }
            }
        } finally {
            network.setListeners(new ArrayList<>());
        }
        if (bestParams != null && bestEpoch != history.size()) {
            network.setParams(bestParams);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        ImageClassifier classifier = ImageClassifier.builder()
                .setNetwork(network)
                .setClassNames(classNames)
                .setInputShape(inputShape)
                .setPreprocessing(preprocessing)
                .optProvenance(ModelProvenance.of(networkFactory.modelName(), seed, settings(), datasetSummary))
                .build();
        Optional<ClassificationMetrics> metrics = validation == null
                ? Optional.empty() : Optional.of(classifier.evaluate(validation));
        return new TrainingResult(classifier, new TrainingHistory(history, bestEpoch, stoppedEarly, seconds), metrics);
    }

    private EpochStats trainEpoch(ComputationGraph network, Optional<CompiledTrainingStep> compiled,
                                  BatchAccuracy accuracy, DataSetIterator train, DataSetIterator validation,
                                  int numClasses, int epoch, long trainImages) {
        long epochStart = System.nanoTime();
        if (train.resetSupported()) {
            train.reset();
        }
        ProgressTracker tracker = ProgressTracker.start("epoch " + epoch + "/" + epochs, trainImages,
                progressListener);
        double lossSum = 0;
        long correct = 0;
        long seen = 0;
        while (train.hasNext()) {
            DataSet batch = train.next();
            checkLabels(batch.getLabels(), numClasses, "training");
            long n = batch.getFeatures().size(0);
            if (compiled.isPresent()) {
                lossSum += compiled.get().fit(batch) * n;
                correct += BatchAccuracy.countCorrect(compiled.get().lastOutput(), batch.getLabels());
            } else {
                accuracy.expect(batch.getLabels());
                network.fit(batch);
                lossSum += network.score() * n;
                correct += accuracy.observed() ? accuracy.correct()
                        : BatchAccuracy.countCorrect(network.outputSingle(false, batch.getFeatures()),
                        batch.getLabels());
            }
            seen += n;
            tracker.advance(n);
        }
        tracker.finish();
        if (seen == 0) {
            throw new CnnkitException("the training data gave no images in epoch " + epoch);
        }
        network.incrementEpochCount();
        double validationLoss = Double.NaN;
        double validationAccuracy = Double.NaN;
        if (validation != null) {
            double[] lossAndAccuracy = validate(network, validation, numClasses);
            validationLoss = lossAndAccuracy[0];
            validationAccuracy = lossAndAccuracy[1];
        }
        return new EpochStats(epoch, lossSum / seen, (double) correct / seen, validationLoss, validationAccuracy,
                (System.nanoTime() - epochStart) / 1e9);
    }

    /** Returns {mean cross-entropy, accuracy} of the network on the validation batches. */
    static double[] validate(ComputationGraph network, DataSetIterator validation, int numClasses) {
        if (validation.resetSupported()) {
            validation.reset();
        }
        double lossSum = 0;
        long correct = 0;
        long seen = 0;
        while (validation.hasNext()) {
            DataSet batch = validation.next();
            INDArray labels = batch.getLabels();
            checkLabels(labels, numClasses, "validation");
            INDArray probabilities = network.outputSingle(false, batch.getFeatures());
            INDArray logProbabilities = Transforms.log(Transforms.max(probabilities, LOG_FLOOR, true), false);
            lossSum -= logProbabilities.muli(labels).sumNumber().doubleValue();
            correct += BatchAccuracy.countCorrect(probabilities, labels);
            seen += labels.size(0);
        }
        if (seen == 0) {
            throw new CnnkitException("the validation data gave no images");
        }
        return new double[] {lossSum / seen, (double) correct / seen};
    }

    private static void checkLabels(INDArray labels, int numClasses, String which) {
        if (labels == null || labels.rank() != 2 || labels.size(1) != numClasses) {
            throw new CnnkitException("the " + which + " batches have labels of shape "
                    + (labels == null ? "none" : java.util.Arrays.toString(labels.shape()))
                    + " but there are " + numClasses + " classes");
        }
    }

    /** Returns the settings recorded in the model's provenance. */
    Map<String, String> settings() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("epochs", Integer.toString(epochs));
        settings.put("batch_size", Integer.toString(batchSize));
        settings.put("learning_rate", String.format(Locale.ROOT, "%s", learningRate));
        settings.put("learning_rate_decay", String.format(Locale.ROOT, "%s", learningRateDecay));
        settings.put("optimizer", "adam");
        settings.put("loss", "categorical_crossentropy");
        settings.put("input_shape", inputShape.toString());
        settings.put("preprocessing", preprocessing.name());
        settings.put("validation_split", Double.toString(validationSplit));
        settings.put("early_stopping_patience", Integer.toString(earlyStoppingPatience));
        settings.put("augmentation", augmentation.toString());
        return settings;
    }

    /** Configures a {@link ClassifierTrainer}; only the number of epochs is required. */
    public static final class Builder {
        private int epochs;
        private NetworkFactory networkFactory = SeedCnn.NOTEBOOK;
        private InputShape inputShape = InputShape.rgb(100);
        private Preprocessing preprocessing = Preprocessing.RESCALE;
        private int batchSize = 32;
        private double learningRate = SeedCnn.DEFAULT_LEARNING_RATE;
        private double learningRateDecay = 1.0;
        private long seed = 42;
        private double validationSplit = 0.2;
        private Augmentation augmentation = Augmentation.none();
        private int earlyStoppingPatience;
        private ProgressListener progressListener = ProgressListener.none();
        private EpochListener epochListener = EpochListener.none();

        private Builder() {
        }

        /**
         * Sets the number of passes over the training data.
         *
         * @param epochs at least 1
         * @return this builder
         */
        public Builder setEpochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        /**
         * Sets the architecture; by default {@link SeedCnn#NOTEBOOK}.
         *
         * @param networkFactory the factory of the network to train
         * @return this builder
         */
        public Builder optNetwork(NetworkFactory networkFactory) {
            this.networkFactory = networkFactory;
            return this;
        }

        /**
         * Sets the image shape of the network; by default 100x100 RGB, like the notebook.
         *
         * @param inputShape the shape
         * @return this builder
         */
        public Builder optInputShape(InputShape inputShape) {
            this.inputShape = inputShape;
            return this;
        }

        /**
         * Sets the pixel preprocessing; by default {@link Preprocessing#RESCALE} (divide by 255).
         *
         * @param preprocessing the mode
         * @return this builder
         */
        public Builder optPreprocessing(Preprocessing preprocessing) {
            this.preprocessing = preprocessing;
            return this;
        }

        /**
         * Sets the number of images per training step when the trainer makes the batches; by default 32.
         *
         * @param batchSize at least 1
         * @return this builder
         */
        public Builder optBatchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Sets Adam's learning rate; by default 1e-3.
         *
         * @param learningRate positive
         * @return this builder
         */
        public Builder optLearningRate(double learningRate) {
            this.learningRate = learningRate;
            return this;
        }

        /**
         * Multiplies the learning rate by {@code factor} after every epoch: epoch {@code e} (from 1) trains at
         * {@code learningRate * factor^(e-1)}. By default 1 (a constant rate, like the notebook); a factor below 1
         * lets the last epochs settle instead of jumping around the minimum.
         *
         * @param factor in (0, 1]
         * @return this builder
         */
        public Builder optLearningRateDecay(double factor) {
            this.learningRateDecay = factor;
            return this;
        }

        /**
         * Sets the seed of weight initialization, split, shuffling and augmentation; by default 42.
         *
         * @param seed any value
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Sets the fraction of each class held out for validation when training from a folder; by default 0.2.
         *
         * @param validationSplit in [0, 1); 0 trains on everything without validation
         * @return this builder
         */
        public Builder optValidationSplit(double validationSplit) {
            this.validationSplit = validationSplit;
            return this;
        }

        /**
         * Sets the random transforms applied to training images when training from a folder (never to validation
         * images); by default {@link Augmentation#none()}. {@link Augmentation#notebookDigits()} is the notebook's.
         *
         * @param augmentation the augmentation
         * @return this builder
         */
        public Builder optAugmentation(Augmentation augmentation) {
            this.augmentation = augmentation;
            return this;
        }

        /**
         * Turns on early stopping: training stops when the validation loss has not improved for {@code patience}
         * epochs, and the classifier keeps the weights of the epoch with the lowest validation loss.
         *
         * @param patience epochs without improvement to tolerate, at least 1
         * @return this builder
         */
        public Builder optEarlyStopping(int patience) {
            if (patience < 1) {
                throw new IllegalArgumentException("early stopping patience must be at least 1 epoch, got " + patience);
            }
            this.earlyStoppingPatience = patience;
            return this;
        }

        /**
         * Sets where the progress within each epoch goes (task {@code "epoch 3/10"}, images done).
         *
         * @param progressListener the listener
         * @return this builder
         */
        public Builder optProgressListener(ProgressListener progressListener) {
            this.progressListener = progressListener;
            return this;
        }

        /**
         * Sets who hears each epoch's training and validation figures.
         *
         * @param epochListener the listener
         * @return this builder
         */
        public Builder optEpochListener(EpochListener epochListener) {
            this.epochListener = epochListener;
            return this;
        }

        /**
         * Validates the settings and builds the trainer.
         *
         * @return the trainer
         * @throws IllegalArgumentException naming the setting if epochs, batch size, learning rate or validation split
         *     is out of range, or a component is null
         */
        public ClassifierTrainer build() {
            if (epochs < 1) {
                throw new IllegalArgumentException("epochs must be at least 1, got " + epochs + " (setEpochs)");
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
            }
            if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
                throw new IllegalArgumentException("learning rate must be positive, got " + learningRate);
            }
            if (!(learningRateDecay > 0 && learningRateDecay <= 1)) {
                throw new IllegalArgumentException("learning rate decay must be in (0, 1], got " + learningRateDecay);
            }
            if (!(validationSplit >= 0 && validationSplit < 1)) {
                throw new IllegalArgumentException("validation split must be in [0, 1), got " + validationSplit);
            }
            if (networkFactory == null || inputShape == null || preprocessing == null || augmentation == null
                    || progressListener == null || epochListener == null) {
                throw new IllegalArgumentException(
                        "network, input shape, preprocessing, augmentation and listeners must not be null");
            }
            return new ClassifierTrainer(this);
        }
    }
}
