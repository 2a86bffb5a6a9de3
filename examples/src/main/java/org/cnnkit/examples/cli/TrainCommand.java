package org.cnnkit.examples.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.cnnkit.core.data.ImageFolder;
import org.cnnkit.core.datavec.LabelsFile;
import org.cnnkit.core.image.Augmentation;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.metrics.ClassificationMetrics;
import org.cnnkit.core.plot.ConfusionMatrixChart;
import org.cnnkit.zoo.ClassifierTrainer;
import org.cnnkit.zoo.EpochStats;
import org.cnnkit.zoo.SeedCnn;
import org.cnnkit.zoo.MobileNetV2;
import org.cnnkit.zoo.TrainingResult;
import org.cnnkit.zoo.TransferLearner;
import org.cnnkit.zoo.weights.PretrainedWeights;
import org.cnnkit.zoo.plot.TrainingCurvesChart;
import org.cnnkit.zoo.weights.WeightsSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code train}: trains a classifier on a class-per-folder image tree and saves it to one model file.
 *
 * <p>{@code --model cnn} is the notebook's CNN ({@link SeedCnn#NOTEBOOK}), {@code --model cnn-deeper} its second
 * experiment ({@link SeedCnn#DEEPER}), {@code --model mobilenetv2} the transfer model ({@link TransferLearner}:
 * ImageNet-pretrained MobileNetV2 of {@code --alpha}, frozen, with a new head trained on cached base features;
 * weights from {@code --weights FILE}, else from the cache folder {@code ~/.cnnkit/models} or downloaded there).
 * Other models plug in as one more case of {@link #train()}.
 *
 * <p>Report keys: {@code model}, {@code classes}, {@code images.train}, {@code images.validation},
 * {@code settings.*}, {@code epochs} (epochs trained), {@code best_epoch}, {@code stopped_early}, {@code history}
 * (per epoch: {@code epoch, train_loss, train_accuracy, validation_loss, validation_accuracy, seconds}),
 * {@code train_seconds}, {@code validation.accuracy}, {@code validation.count}, {@code validation.per_class},
 * {@code validation.confusion_matrix} (rows actual, columns predicted), {@code out}, {@code labels_file} (with
 * {@code --labels FILE.csv}: a collection labelled by a file, read with DataVec's CSVRecordReader, instead of one
 * sub-folder per class), {@code skipped} (per training or validation file that could not be decoded and was left
 * out: {@code file}, {@code reason}); with {@code --plot DIR}: {@code plots.training_curves} and, with validation
 * images, {@code plots.confusion_matrix} (the pictures' paths).
 */
@Command(name = "train",
        mixinStandardHelpOptions = true,
        description = "Trains a classifier on an image folder (one sub-folder per class) and saves it to one file.")
public final class TrainCommand extends CliCommand {

    @Option(names = "--data", required = true, paramLabel = "DIR",
            description = "Root folder with one sub-folder of images per class (or the images of --labels).")
    private Path data;

    @Option(names = "--labels", paramLabel = "FILE.csv",
            description = "Labels file (file,class index,class name[,relative path]) for images under --data that are"
                    + " not one sub-folder per class.")
    private Path labels;

    @Option(names = "--model", required = true, paramLabel = "MODEL",
            description = "cnn (the notebook's CNN), cnn-deeper (its second experiment) or mobilenetv2 "
                    + "(ImageNet-pretrained MobileNetV2, frozen, with a new head).")
    private String model;

    @Option(names = "--alpha", paramLabel = "A", defaultValue = "1.0",
            description = "mobilenetv2 only: width multiplier, one of 0.35, 0.5, 0.75, 1.0, 1.3, 1.4 "
                    + "(default: ${DEFAULT-VALUE}).")
    private double alpha;

    @Option(names = "--weights", paramLabel = "FILE",
            description = "mobilenetv2 only: Keras no-top weights (.h5) of that alpha; without it they are taken "
                    + "from ~/.cnnkit/models (or -Dcnnkit.models) or downloaded there.")
    private Path weights;

    @Option(names = "--views", paramLabel = "K", defaultValue = "1",
            description = "mobilenetv2 only: cached views of each training image; above 1 each view is a new "
                    + "augmentation (default: ${DEFAULT-VALUE}).")
    private int views;

    @Option(names = "--feature-cache", paramLabel = "on|off", defaultValue = "on",
            description = "mobilenetv2 only: train the head on cached base features (on) or run the base in every "
                    + "step (off) (default: ${DEFAULT-VALUE}).")
    private String featureCache;

    @Option(names = "--fine-tune-blocks", paramLabel = "K", defaultValue = "0",
            description = "mobilenetv2 only: after the head, unfreeze the last K blocks and train end to end at a "
                    + "tenth of the learning rate for --fine-tune-epochs (default: ${DEFAULT-VALUE}, none).")
    private int fineTuneBlocks;

    @Option(names = "--fine-tune-epochs", paramLabel = "N", defaultValue = "2",
            description = "mobilenetv2 only: epochs of fine-tuning (default: ${DEFAULT-VALUE}).")
    private int fineTuneEpochs;

    @Option(names = "--image-size", paramLabel = "N", defaultValue = "100",
            description = "Images are resized to N x N RGB (default: ${DEFAULT-VALUE}).")
    private int imageSize;

    @Option(names = "--epochs", paramLabel = "N", defaultValue = "10",
            description = "Passes over the training images (default: ${DEFAULT-VALUE}).")
    private int epochs;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "32",
            description = "Images per training step (default: ${DEFAULT-VALUE}).")
    private int batch;

    @Option(names = "--learning-rate", paramLabel = "R", defaultValue = "0.001",
            description = "Adam learning rate (default: ${DEFAULT-VALUE}).")
    private double learningRate;

    @Option(names = "--learning-rate-decay", paramLabel = "F", defaultValue = "1",
            description = "Multiply the learning rate by F after every epoch; 1 keeps it constant (default: ${DEFAULT-VALUE}).")
    private double learningRateDecay;

    @Option(names = "--validation-split", paramLabel = "F", defaultValue = "0.2",
            description = "Fraction of each class held out for validation, never augmented (default: ${DEFAULT-VALUE}).")
    private double validationSplit;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42",
            description = "Seed of weights, split, shuffling and augmentation (default: ${DEFAULT-VALUE}).")
    private long seed;

    @Option(names = "--augment", paramLabel = "on|off", defaultValue = "on",
            description = "Augment training images like the notebook: rotation 10, zoom/shift/shear 0.1, no flips "
                    + "(default: ${DEFAULT-VALUE}).")
    private String augment;

    @Option(names = "--early-stopping", paramLabel = "PATIENCE",
            description = "Stop when the validation loss has not improved for PATIENCE epochs; keep the best weights.")
    private Integer patience;

    @Option(names = "--out", required = true, paramLabel = "MODEL",
            description = "The model file to write (replaced atomically).")
    private Path out;

    @Mixin
    private PlotOptions plot;

    /** Creates the command; picocli fills in its options. */
    public TrainCommand() {
    }

    /**
     * Trains, prints each epoch and the validation metrics, saves the model and fills the report.
     *
     * @param report filled with the keys listed in the class description
     * @throws org.cnnkit.core.CnnkitException if the folder cannot be used or the model cannot be written
     */
    @Override
    protected void run(Report report) {
        checkOptions();
        TrainingResult result = train();
        result.classifier().save(out);
        fill(report, result);
        result.validation().ifPresent(metrics -> out().print(System.lineSeparator() + metrics.toTable()));
        plot.draw("training_curves", "training-curves", file -> TrainingCurvesChart.write(result.history(), file),
                report, out());
        result.validation().ifPresent(metrics -> plot.draw("confusion_matrix", "confusion-matrix",
                file -> ConfusionMatrixChart.write(metrics, "Confusion matrix, validation images", file), report, out()));
        out().printf(Locale.ROOT, "Trained %d epochs in %.1f s; model saved to %s%n",
                result.history().epochs().size(), result.history().seconds(), out);
    }

    /** Trains the model named by {@code --model}: one case per model family. */
    private TrainingResult train() {
        // The trainer is built (and its options checked) before the collection is read.
        return switch (model) {
            case "cnn" -> trainer(SeedCnn.NOTEBOOK).train(collection());
            case "cnn-deeper" -> trainer(SeedCnn.DEEPER).train(collection());
            case "mobilenetv2" -> transferLearner().train(collection());
            default -> throw usageError("--model must be cnn, cnn-deeper or mobilenetv2, got '" + model + "'");
        };
    }

    /** The images to train on: the class folders under {@code --data}, or the images of {@code --labels}. */
    private ImageFolder collection() {
        return labels == null ? ImageFolder.scan(data) : LabelsFile.read(labels, data);
    }

    private ClassifierTrainer trainer(SeedCnn network) {
        ClassifierTrainer.Builder builder = ClassifierTrainer.builder()
                .setEpochs(epochs)
                .optNetwork(network)
                .optInputShape(InputShape.rgb(imageSize))
                .optBatchSize(batch)
                .optLearningRate(learningRate)
                .optLearningRateDecay(learningRateDecay)
                .optValidationSplit(validationSplit)
                .optSeed(seed)
                .optAugmentation(augmentation())
                .optProgressListener(progress())
                .optEpochListener((stats, planned) -> out().println(stats));
        if (patience != null) {
            builder.optEarlyStopping(patience);
        }
        return builder.build();
    }

    private TransferLearner transferLearner() {
        if (!WeightsSource.MOBILENET_V2_ALPHAS.contains(alpha)) {
            throw usageError("--alpha must be one of " + WeightsSource.MOBILENET_V2_ALPHAS + ", got " + alpha);
        }
        InputShape shape = InputShape.rgb(imageSize);
        Path file = weights != null
                ? PretrainedWeights.builder().build().resolve(weights)
                : PretrainedWeights.builder().optProgressListener(progress()).build()
                        .resolve(WeightsSource.mobileNetV2NoTop(alpha, shape));
        TransferLearner.Builder builder = TransferLearner.builder()
                .setWeights(file)
                .optAlpha(alpha)
                .optInputShape(shape)
                .optEpochs(epochs)
                .optBatchSize(batch)
                .optLearningRate(learningRate)
                .optValidationSplit(validationSplit)
                .optSeed(seed)
                .optAugmentation(augmentation())
                .optViews(views)
                .optFeatureCaching(featureCache.equals("on"))
                .optProgressListener(progress())
                .optEpochListener((stats, planned) -> out().println(stats));
        if (fineTuneBlocks > 0) {
            builder.optFineTuning(fineTuneBlocks, learningRate / 10, fineTuneEpochs);
        }
        return builder.build();
    }

    private Augmentation augmentation() {
        return augment.equals("on") ? Augmentation.notebookDigits() : Augmentation.none();
    }

    private void checkOptions() {
        if (plot.problem() != null) {
            throw usageError(plot.problem());
        }
        if (!augment.equals("on") && !augment.equals("off")) {
            throw usageError("--augment must be on or off, got '" + augment + "'");
        }
        if (imageSize < 1) {
            throw usageError("--image-size must be at least 1, got " + imageSize);
        }
        if (epochs < 1) {
            throw usageError("--epochs must be at least 1, got " + epochs);
        }
        if (batch < 1) {
            throw usageError("--batch must be at least 1, got " + batch);
        }
        if (!(learningRate > 0)) {
            throw usageError("--learning-rate must be positive, got " + learningRate);
        }
        if (!(learningRateDecay > 0 && learningRateDecay <= 1)) {
            throw usageError("--learning-rate-decay must be in (0, 1], got " + learningRateDecay);
        }
        if (!(validationSplit >= 0 && validationSplit < 1)) {
            throw usageError("--validation-split must be in [0, 1), got " + validationSplit);
        }
        if (!featureCache.equals("on") && !featureCache.equals("off")) {
            throw usageError("--feature-cache must be on or off, got '" + featureCache + "'");
        }
        if (views < 1) {
            throw usageError("--views must be at least 1, got " + views);
        }
        if (fineTuneBlocks < 0 || fineTuneBlocks > MobileNetV2.BLOCK_COUNT || fineTuneEpochs < 1) {
            throw usageError("--fine-tune-blocks must be 0 to " + MobileNetV2.BLOCK_COUNT
                    + " and --fine-tune-epochs at least 1");
        }
        if (model.equals("mobilenetv2") && imageSize < MobileNetV2.MIN_INPUT_SIZE) {
            throw usageError("--image-size must be at least " + MobileNetV2.MIN_INPUT_SIZE + " for mobilenetv2, got "
                    + imageSize);
        }
        if (model.equals("mobilenetv2") && patience != null) {
            throw usageError("--early-stopping is not available for mobilenetv2");
        }
        if (patience != null && patience < 1) {
            throw usageError("--early-stopping must be at least 1 epoch, got " + patience);
        }
    }

    private void fill(Report report, TrainingResult result) {
        report.put("model", result.classifier().provenance().model());
        report.put("classes", result.classifier().classNames());
        report.put("data", data.toAbsolutePath().normalize());
        if (labels != null) {
            report.put("labels_file", labels.toAbsolutePath().normalize());
        }
        report.put("dataset", result.classifier().provenance().dataset());
        report.put("settings", result.classifier().provenance().settings());
        report.put("settings.seed", seed);
        report.put("epochs", result.history().epochs().size());
        report.put("best_epoch", result.history().bestEpoch());
        report.put("stopped_early", result.history().stoppedEarly());
        List<Map<String, Object>> history = new ArrayList<>();
        for (EpochStats stats : result.history().epochs()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("epoch", stats.epoch());
            row.put("train_loss", stats.trainLoss());
            row.put("train_accuracy", stats.trainAccuracy());
            row.put("validation_loss", stats.hasValidation() ? stats.validationLoss() : null);
            row.put("validation_accuracy", stats.hasValidation() ? stats.validationAccuracy() : null);
            row.put("seconds", stats.seconds());
            history.add(row);
        }
        report.put("history", history);
        report.put("train_seconds", result.history().seconds());
        if (result.validation().isPresent()) {
            ClassificationMetrics metrics = result.validation().get();
            report.put("validation", metrics.toMap());
        } else {
            report.put("validation", null);
        }
        report.put("out", out.toAbsolutePath().normalize());
        report.put("skipped", SkippedFiles.toReport(result.skipped()));
    }
}
