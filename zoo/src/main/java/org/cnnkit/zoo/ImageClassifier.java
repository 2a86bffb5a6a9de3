package org.cnnkit.zoo;

import java.awt.image.BufferedImage;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.data.ImageDataSetIterator;
import org.cnnkit.core.data.ImageFolder;
import org.cnnkit.core.data.LabeledImage;
import org.cnnkit.core.image.BatchDecoder;
import org.cnnkit.core.image.ImageDecoder;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.PipelinedBatches;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.core.metrics.ClassificationMetrics;
import org.cnnkit.core.runtime.ParallelInference;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A trained image classifier: a network together with everything needed to use it on new images, namely
 * the class names, the input shape, the preprocessing and the provenance. It predicts, evaluates, and saves
 * to one file that {@link #load(Path)} reads back with bit-identical predictions.
 *
 * <p>The network is any DL4J {@link ComputationGraph} with one input (NCHW images of {@link #inputShape()},
 * preprocessed with {@link #preprocessing()}) and one softmax output with one unit per class; the CNN of
 * {@link SeedCnn} and a transfer-learned MobileNetV2 both fit.
 *
 * <pre>{@code
 * ImageClassifier classifier = ImageClassifier.load(Path.of("digits.cnnkit"));
 * Prediction p = classifier.predict(Path.of("some-digit.png"));
 * System.out.println(p.best().label() + " " + p.best().probability());
 * }</pre>
 *
 * <p>Prediction is thread-safe. The network runs on an {@link InferenceEngine}: by default the fastest available
 * ({@link InferenceEngine#fastest()}: ONNX Runtime when its artifact is on the classpath, else DL4J's compiled plans,
 * each batch split between one replica of the network per core, {@link ParallelInference}); choose one with
 * {@link Builder#optEngine} or {@link #withEngine}. The engine's session is opened at the first prediction; an ONNX
 * Runtime session runs the weights the network had then, so do not train the network of a classifier that has
 * predicted (build a new classifier instead). Files are decoded in batches, the next batch while the network runs
 * on the current one (at most two decoded batches in memory).
 */
public final class ImageClassifier {

    /** How many labels a prediction lists when the caller does not say. */
    public static final int DEFAULT_TOP_K = 5;

    /** How many images go through the network at once when predicting or evaluating files. */
    static final int BATCH_SIZE = 32;

    private static final Logger LOG = LoggerFactory.getLogger(ImageClassifier.class);

    private final ImageDecoder decoder = new ImageDecoder();

    private final ComputationGraph network;
    private final InferenceEngine engine;
    private final IdleThreads idleThreads;
    private final Object sessionLock = new Object();
    private volatile InferenceSession session;
    private final List<String> classNames;
    private final InputShape inputShape;
    private final Preprocessing preprocessing;
    private final ModelProvenance provenance;
    private final BatchDecoder batchDecoder;

    private ImageClassifier(Builder builder) {
        this.network = builder.network;
        this.engine = builder.engine;
        this.idleThreads = builder.idleThreads;
        if (engine != null) {
            engine.requireAvailable();
        }
        this.classNames = builder.classNames;
        this.inputShape = builder.inputShape;
        this.preprocessing = builder.preprocessing;
        this.provenance = builder.provenance;
        this.batchDecoder = BatchDecoder.of(decoder, inputShape, preprocessing);
    }

    /**
     * Starts a classifier from an already trained network; trainers use it, and so can code that trains its
     * own network.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Loads a classifier saved by {@link #save(Path)}.
     *
     * @param file the model file
     * @return the classifier, giving exactly the probabilities it gave when saved
     * @throws CnnkitException naming the file if it is missing, not a zip, has no manifest, is not a cnnkit
     *     model, has a newer format version than this cnnkit reads, or has a damaged network entry
     */
    public static ImageClassifier load(Path file) {
        return ModelFile.read(file);
    }

    /**
     * Saves the classifier to one file without the optimizer state (enough to predict and evaluate).
     * The file is written atomically: a reader sees the old file or the whole new one.
     *
     * @param file the model file to write; its folder must exist
     * @throws CnnkitException naming the file and the cause if it cannot be written; the previous file, if any, is
     *     then unchanged and no temporary file is left
     */
    public void save(Path file) {
        save(file, false);
    }

    /**
     * Saves the classifier to one file, written atomically (temporary file in the same folder, then an atomic move).
     *
     * @param file the model file to write; its folder must exist
     * @param withUpdaterState whether to store the optimizer (Adam) state too, to continue training later
     * @throws CnnkitException naming the file if it cannot be written
     */
    public void save(Path file, boolean withUpdaterState) {
        ModelFile.write(this, file, withUpdaterState);
    }

    /** As {@link #save(Path)}, with the byte stream wrapped (lets tests inject failures). */
    void save(Path file, UnaryOperator<OutputStream> streamWrapper) {
        ModelFile.write(this, file, false, streamWrapper);
    }

    /** {@return the network; do not train it while predicting from other threads} */
    public ComputationGraph network() {
        return network;
    }

    /**
     * Returns the engine that runs the network's inference (opening its session if no prediction did yet): the one
     * the builder chose, else {@link InferenceEngine#fastest()}, or DL4J when the network cannot be exported to ONNX.
     *
     * @return the engine
     */
    public InferenceEngine engine() {
        return session().engine();
    }

    /**
     * Returns this classifier running on another engine (the same network, class names, shape, preprocessing and
     * provenance).
     *
     * @param engine the engine
     * @return a new classifier
     * @throws CnnkitException if the engine is not available (naming the artifact to add)
     */
    public ImageClassifier withEngine(InferenceEngine engine) {
        return builder().setNetwork(network).setClassNames(classNames).setInputShape(inputShape)
                .setPreprocessing(preprocessing).optProvenance(provenance).optEngine(engine)
                .optIdleThreads(idleThreads).build();
    }

    /** {@return the class names in class index order} */
    public List<String> classNames() {
        return classNames;
    }

    /** {@return the number of classes} */
    public int numClasses() {
        return classNames.size();
    }

    /** {@return the image shape the network takes} */
    public InputShape inputShape() {
        return inputShape;
    }

    /** {@return the preprocessing applied to 0..255 pixels before they reach the network} */
    public Preprocessing preprocessing() {
        return preprocessing;
    }

    /** {@return where the model came from} */
    public ModelProvenance provenance() {
        return provenance;
    }

    /**
     * Predicts the {@value #DEFAULT_TOP_K} most probable classes (or all, if fewer) of an image file.
     *
     * @param image the image file (PNG, JPEG, BMP, GIF), of any size: it is resized to {@link #inputShape()}
     * @return the prediction, with {@code image} as its file
     * @throws org.cnnkit.core.image.ImageDecodingException naming the file if it is missing, not an image or damaged
     */
    public Prediction predict(Path image) {
        return predict(image, DEFAULT_TOP_K);
    }

    /**
     * Predicts the {@code topK} most probable classes of an image file.
     *
     * @param image the image file
     * @param topK how many classes to list, at least 1 (capped at the number of classes)
     * @return the prediction, with {@code image} as its file
     * @throws org.cnnkit.core.image.ImageDecodingException naming the file if it is missing, not an image or damaged
     * @throws IllegalArgumentException if {@code topK} is below 1
     */
    public Prediction predict(Path image, int topK) {
        return predict(List.of(image), topK).get(0);
    }

    /**
     * Predicts the {@value #DEFAULT_TOP_K} most probable classes of an image in memory.
     *
     * @param image the image, of any size and colour model
     * @return the prediction, with a null file
     */
    public Prediction predict(BufferedImage image) {
        return predict(image, DEFAULT_TOP_K);
    }

    /**
     * Predicts the {@code topK} most probable classes of an image in memory.
     *
     * @param image the image, of any size and colour model
     * @param topK how many classes to list, at least 1 (capped at the number of classes)
     * @return the prediction, with a null file
     * @throws IllegalArgumentException if {@code topK} is below 1
     */
    public Prediction predict(BufferedImage image, int topK) {
        checkTopK(topK);
        Objects.requireNonNull(image, "image");
        float[] pixels = decoder.decode(image, inputShape);
        preprocessing.applyInPlace(pixels, inputShape.channels());
        INDArray batch = Nd4j.create(pixels, new long[] {1, inputShape.channels(), inputShape.height(),
            inputShape.width()}, 'c');
        return toPrediction(null, probabilities(batch).getRow(0).toFloatVector(), topK);
    }

    /**
     * Predicts the {@value #DEFAULT_TOP_K} most probable classes of several image files, in batches.
     *
     * @param images the image files
     * @return one prediction per file, in the same order
     * @throws org.cnnkit.core.image.ImageDecodingException naming the first file that cannot be decoded
     */
    public List<Prediction> predict(List<Path> images) {
        return predict(images, DEFAULT_TOP_K);
    }

    /**
     * Predicts the {@code topK} most probable classes of several image files, running the network on batches
     * of {@value #BATCH_SIZE} images.
     *
     * @param images the image files
     * @param topK how many classes to list per image, at least 1 (capped at the number of classes)
     * @return one prediction per file, in the same order
     * @throws org.cnnkit.core.image.ImageDecodingException naming the first file that cannot be decoded
     * @throws IllegalArgumentException if {@code topK} is below 1
     */
    public List<Prediction> predict(List<Path> images, int topK) {
        return predict(images, topK, false).predictions();
    }

    /**
     * Predicts the {@code topK} most probable classes of several image files as {@link #predict(List, int)}, but
     * goes on past files that cannot be decoded and returns them with the reason.
     *
     * @param images the image files
     * @param topK how many classes to list per image, at least 1 (capped at the number of classes)
     * @return one prediction per readable file in the order given, and the unreadable files
     * @throws IllegalArgumentException if {@code topK} is below 1
     */
    public PredictionResult predictReadable(List<Path> images, int topK) {
        return predict(images, topK, true);
    }

    private PredictionResult predict(List<Path> images, int topK, boolean skipUnreadable) {
        checkTopK(topK);
        List<Prediction> predictions = new ArrayList<>(images.size());
        List<BatchDecoder.Unreadable> skipped = new ArrayList<>();
        List<List<Path>> batches = new ArrayList<>();
        for (int start = 0; start < images.size(); start += BATCH_SIZE) {
            batches.add(images.subList(start, Math.min(images.size(), start + BATCH_SIZE)));
        }
        if (batches.isEmpty()) {
            return new PredictionResult(predictions, skipped);
        }
        ReusedOutput outputs = new ReusedOutput(session());
        PipelinedBatches.run(batches, files -> batchDecoder.decode(files, skipUnreadable), decoded -> {
            skipped.addAll(decoded.skipped());
            if (decoded.files().isEmpty()) {
                return;
            }
            INDArray probabilities = probabilities(decoded.images(), outputs);
            for (int i = 0; i < decoded.files().size(); i++) {
                predictions.add(toPrediction(decoded.files().get(i), probabilities.getRow(i).toFloatVector(), topK));
            }
        });
        return new PredictionResult(predictions, skipped);
    }

    /**
     * Evaluates the classifier on a labelled image folder whose classes are the model's classes.
     *
     * @param folder a scanned class-per-folder tree
     * @return accuracy, confusion matrix and per-class scores
     * @throws CnnkitException if the folder's class names differ from the model's (names and order), or if no
     *     image could be decoded
     */
    public ClassificationMetrics evaluate(ImageFolder folder) {
        return evaluateReadable(folder).metrics();
    }

    /**
     * Evaluates the classifier on a labelled image folder as {@link #evaluate(ImageFolder)}, and returns the files
     * left out because they could not be decoded.
     *
     * @param folder a scanned class-per-folder tree
     * @return the metrics over the decoded images and the skipped files with the reason
     * @throws CnnkitException if the folder's class names differ from the model's (names and order), or if no
     *     image could be decoded
     */
    public EvaluationResult evaluateReadable(ImageFolder folder) {
        if (!folder.classNames().equals(classNames)) {
            throw new CnnkitException("the classes of " + folder.root() + " " + folder.classNames()
                    + " differ from the classes the model was trained on " + classNames);
        }
        return evaluateReadable(folder.images());
    }

    /**
     * Evaluates the classifier on labelled image files; files that cannot be decoded are skipped and logged.
     *
     * @param images image files with class indices of this model
     * @return accuracy, confusion matrix and per-class scores over the decoded images
     * @throws CnnkitException if a label is outside this model's classes, or if no image could be decoded
     */
    public ClassificationMetrics evaluate(List<LabeledImage> images) {
        return evaluateReadable(images).metrics();
    }

    /**
     * Evaluates the classifier on labelled image files as {@link #evaluate(List)}, and returns the files left out
     * because they could not be decoded.
     *
     * @param images image files with class indices of this model
     * @return the metrics over the decoded images and the skipped files with the reason
     * @throws CnnkitException if a label is outside this model's classes, or if no image could be decoded
     */
    public EvaluationResult evaluateReadable(List<LabeledImage> images) {
        for (LabeledImage image : images) {
            if (image.label() >= numClasses()) {
                throw new CnnkitException("image " + image.path() + " has label " + image.label()
                        + " but the model has only " + numClasses() + " classes " + classNames);
            }
        }
        if (images.isEmpty()) {
            throw new CnnkitException("nothing to evaluate: no images given");
        }
        // The pipeline decodes on its worker pool, preprocesses like training did, and skips unreadable files.
        try (ImageDataSetIterator data = ImageDataSetIterator.builder()
                .setImages(images)
                .setNumClasses(numClasses())
                .setInputShape(inputShape)
                .optPreprocessing(preprocessing)
                .optBatchSize(BATCH_SIZE)
                .optShuffle(false)
                .optCacheDecoded(false)
                .build()) {
            ClassificationMetrics metrics;
            try {
                metrics = evaluate(data);
            } catch (CnnkitException e) {
                if (data.skippedFiles().size() == images.size()) {
                    throw new CnnkitException("nothing to evaluate: none of the " + images.size()
                            + " images could be decoded", e);
                }
                throw e;
            }
            if (!data.skippedFiles().isEmpty()) {
                LOG.warn("evaluation skipped {} of {} images that could not be decoded: {}",
                        data.skippedFiles().size(), images.size(), data.skippedFiles());
            }
            return new EvaluationResult(metrics, data.skipped());
        }
    }

    /**
     * Evaluates the classifier on batches of preprocessed images with one-hot labels, such as a validation
     * iterator; the iterator is reset first when it can be.
     *
     * @param data batches of NCHW images shaped like {@link #inputShape()} with one-hot labels
     * @return accuracy, confusion matrix and per-class scores
     * @throws CnnkitException if the labels do not have one column per class of this model, or if there are none
     */
    public ClassificationMetrics evaluate(DataSetIterator data) {
        Objects.requireNonNull(data, "data");
        if (data.resetSupported()) {
            data.reset();
        }
        List<int[]> actual = new ArrayList<>();
        List<int[]> predicted = new ArrayList<>();
        ReusedOutput outputs = null;
        int total = 0;
        while (data.hasNext()) {
            DataSet batch = data.next();
            INDArray labels = batch.getLabels();
            if (labels.rank() != 2 || labels.size(1) != numClasses()) {
                throw new CnnkitException("evaluation labels have shape " + java.util.Arrays.toString(labels.shape())
                        + " but the model has " + numClasses() + " classes " + classNames);
            }
            if (outputs == null) {
                outputs = new ReusedOutput(session());
            }
            INDArray probabilities = probabilities(batch.getFeatures(), outputs);
            actual.add(labels.argMax(1).toIntVector());
            predicted.add(probabilities.argMax(1).toIntVector());
            total += (int) labels.size(0);
        }
        if (total == 0) {
            throw new CnnkitException("nothing to evaluate: the data has no images");
        }
        return ClassificationMetrics.of(concat(actual, total), concat(predicted, total), classNames);
    }

    /**
     * Runs the network on a batch of preprocessed images.
     *
     * @param batch NCHW images, shaped {@code [n, channels, height, width]} like {@link #inputShape()}
     * @return the probabilities, {@code [n, numClasses]}
     * @throws CnnkitException if the batch does not have this model's input shape
     */
    INDArray probabilities(INDArray batch) {
        return probabilities(batch, new ReusedOutput(session()));
    }

    /** As {@link #probabilities(INDArray)}, the output written into the pass's reused array. */
    private INDArray probabilities(INDArray batch, ReusedOutput outputs) {
        long[] shape = batch.shape();
        if (shape.length != 4 || shape[1] != inputShape.channels() || shape[2] != inputShape.height()
                || shape[3] != inputShape.width()) {
            throw new CnnkitException("images of shape " + java.util.Arrays.toString(shape)
                    + " do not fit the model's input [n, " + inputShape.channels() + ", " + inputShape.height()
                    + ", " + inputShape.width() + "]");
        }
        return outputs.output(batch);
    }

    /** The engine's session on the network, opened at the first call. */
    private InferenceSession session() {
        InferenceSession opened = session;
        if (opened == null) {
            synchronized (sessionLock) {
                opened = session;
                if (opened == null) {
                    opened = engine != null ? engine.open(network, inputShape, preprocessing, idleThreads)
                            : InferenceEngine.openFastest(network, inputShape, preprocessing, idleThreads);
                    session = opened;
                }
            }
        }
        return opened;
    }

    /**
     * Turns one row of probabilities into a prediction of the {@code topK} most probable classes.
     *
     * @param file the image file or null
     * @param probabilities one probability per class
     * @param topK how many labels to keep
     * @return the prediction
     */
    Prediction toPrediction(Path file, float[] probabilities, int topK) {
        List<ScoredLabel> all = new ArrayList<>(probabilities.length);
        for (int i = 0; i < probabilities.length; i++) {
            all.add(new ScoredLabel(classNames.get(i), i, probabilities[i]));
        }
        all.sort(Comparator.comparingDouble(ScoredLabel::probability).reversed()
                .thenComparingInt(ScoredLabel::index));
        return new Prediction(file, all.subList(0, Math.min(topK, all.size())));
    }

    private static int[] concat(List<int[]> parts, int total) {
        int[] all = new int[total];
        int at = 0;
        for (int[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }

    static void checkTopK(int topK) {
        if (topK < 1) {
            throw new IllegalArgumentException("topK must be at least 1, got " + topK);
        }
    }

    @Override
    public String toString() {
        return "ImageClassifier[" + provenance.model() + ", classes=" + classNames + ", input=" + inputShape
                + ", preprocessing=" + preprocessing + "]";
    }

    /** Assembles a classifier from a trained network and its metadata. */
    public static final class Builder {
        private ComputationGraph network;
        private List<String> classNames;
        private InputShape inputShape;
        private Preprocessing preprocessing;
        private ModelProvenance provenance;
        private InferenceEngine engine;
        private IdleThreads idleThreads = IdleThreads.SLEEP;

        private Builder() {
        }

        /**
         * Chooses what the engine's idle threads do ({@link IdleThreads}): {@link IdleThreads#SLEEP} by default, since
         * predictions and evaluations over files decode the next batch while the network runs on this one;
         * {@link IdleThreads#SPIN} for a classifier that only runs images already in memory.
         *
         * @param idleThreads spin or sleep
         * @return this builder
         */
        public Builder optIdleThreads(IdleThreads idleThreads) {
            this.idleThreads = Objects.requireNonNull(idleThreads, "idleThreads");
            return this;
        }

        /**
         * Sets the engine that runs the network's inference; {@link InferenceEngine#fastest()} by default.
         *
         * @param engine the engine
         * @return this builder
         */
        public Builder optEngine(InferenceEngine engine) {
            this.engine = engine;
            return this;
        }

        /**
         * Sets the trained network: one input, one softmax output with one unit per class.
         *
         * @param network the network
         * @return this builder
         */
        public Builder setNetwork(ComputationGraph network) {
            this.network = network;
            return this;
        }

        /**
         * Sets the class names in class index order.
         *
         * @param classNames at least 2 distinct, non-blank names
         * @return this builder
         */
        public Builder setClassNames(List<String> classNames) {
            this.classNames = classNames;
            return this;
        }

        /**
         * Sets the image shape the network takes.
         *
         * @param inputShape the shape
         * @return this builder
         */
        public Builder setInputShape(InputShape inputShape) {
            this.inputShape = inputShape;
            return this;
        }

        /**
         * Sets how 0..255 pixels are prepared for the network (as in training).
         *
         * @param preprocessing the mode
         * @return this builder
         */
        public Builder setPreprocessing(Preprocessing preprocessing) {
            this.preprocessing = preprocessing;
            return this;
        }

        /**
         * Sets where the model came from; by default an {@link ModelProvenance#unknown(String) unknown} origin.
         *
         * @param provenance the provenance
         * @return this builder
         */
        public Builder optProvenance(ModelProvenance provenance) {
            this.provenance = provenance;
            return this;
        }

        /**
         * Checks the parts and builds the classifier.
         *
         * @return the classifier
         * @throws IllegalArgumentException if a required part is missing, the class names are fewer than 2,
         *     repeated or blank, or the network has not exactly one input and one output
         * @throws CnnkitException if the network's output size differs from the number of class names, or the
         *     engine is not available (naming the artifact to add)
         */
        public ImageClassifier build() {
            if (network == null || classNames == null || inputShape == null || preprocessing == null) {
                throw new IllegalArgumentException(
                        "network, class names, input shape and preprocessing are all required");
            }
            classNames = List.copyOf(classNames);
            if (classNames.size() < 2) {
                throw new IllegalArgumentException("a classifier needs at least 2 classes, got " + classNames);
            }
            if (classNames.stream().distinct().count() != classNames.size()
                    || classNames.stream().anyMatch(String::isBlank)) {
                throw new IllegalArgumentException("class names must be distinct and not blank: " + classNames);
            }
            if (network.getNumInputArrays() != 1 || network.getNumOutputArrays() != 1) {
                throw new IllegalArgumentException("the network must have exactly one input and one output, it has "
                        + network.getNumInputArrays() + " and " + network.getNumOutputArrays());
            }
            Layer output = network.getOutputLayer(0);
            if (output.conf().getLayer() instanceof FeedForwardLayer layer && layer.getNOut() != classNames.size()) {
                throw new CnnkitException("the network's output layer '" + output.conf().getLayer().getLayerName()
                        + "' has " + layer.getNOut() + " units but " + classNames.size() + " class names were given: "
                        + classNames);
            }
            if (provenance == null) {
                provenance = ModelProvenance.unknown("custom");
            }
            return new ImageClassifier(this);
        }
    }
}
