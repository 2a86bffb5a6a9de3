package org.cnnkit.examples.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.BatchDecoder;
import org.cnnkit.zoo.ImageClassifier;
import org.cnnkit.zoo.InferenceEngine;
import org.cnnkit.zoo.Prediction;
import org.cnnkit.zoo.PredictionResult;
import org.cnnkit.zoo.ScoredLabel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code predict}: the most probable classes of each image according to a saved model.
 *
 * <p>Report keys: {@code model}, {@code top}, {@code engine}, {@code predictions} (per image: {@code file} and
 * {@code top}, a list of {@code label, index, probability}, most probable first), {@code skipped} (per unreadable
 * image: {@code file}, {@code reason}). Unreadable images are skipped, listed on standard output and make the exit
 * code 1; when no image can be read the command fails.
 */
@Command(name = "predict",
        mixinStandardHelpOptions = true,
        description = "Top-k labels with probabilities for each image, from a model written by train.")
public final class PredictCommand extends CliCommand {

    @Option(names = "--model", required = true, paramLabel = "MODEL", description = "A model file written by train.")
    private Path model;

    @Option(names = "--top", paramLabel = "K", defaultValue = "3",
            description = "How many labels to list per image (default: ${DEFAULT-VALUE}).")
    private int top;

    @Mixin
    private EngineOption engine;

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "Image files (PNG, JPEG, BMP, GIF).")
    private List<Path> images;

    /** Creates the command; picocli fills in its options. */
    public PredictCommand() {
    }

    /**
     * Loads the model, predicts every image, prints one line per image and fills the report.
     *
     * @param report filled with the keys listed in the class description
     * @throws CnnkitException if the model cannot be read or no image can be decoded
     */
    @Override
    protected void run(Report report) {
        if (top < 1) {
            throw usageError("--top must be at least 1, got " + top);
        }
        ImageClassifier classifier = ImageClassifier.load(model);
        InferenceEngine chosen = engine.engineOrDefault();
        if (chosen != null) {
            classifier = classifier.withEngine(chosen);
        }
        PredictionResult result = classifier.predictReadable(images, top);
        if (result.predictions().isEmpty()) {
            throw noneReadable(result.skipped());
        }
        report.put("model", model.toAbsolutePath().normalize());
        report.put("top", top);
        report.put("engine", classifier.engine().id());
        for (Prediction prediction : result.predictions()) {
            List<Map<String, Object>> labels = new ArrayList<>();
            for (ScoredLabel label : prediction.top()) {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("label", label.label());
                entry.put("index", label.index());
                entry.put("probability", label.probability());
                labels.add(entry);
            }
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("file", prediction.file().toString());
            entry.put("top", labels);
            report.add("predictions", entry);
            out().println(prediction.file() + ": " + prediction.top().stream()
                    .map(l -> String.format(Locale.ROOT, "%s %.4f", l.label(), l.probability()))
                    .collect(Collectors.joining(", ")));
        }
        for (BatchDecoder.Unreadable unreadable : result.skipped()) {
            out().println("skipped " + unreadable.file() + ": " + unreadable.reason());
        }
        report.put("skipped", SkippedFiles.toReport(result.skipped()));
        if (!result.skipped().isEmpty()) {
            markPartialFailure();
        }
    }

    /** The failure when no image could be read: the decoder's message for one image, the first one's for more. */
    private CnnkitException noneReadable(List<BatchDecoder.Unreadable> skipped) {
        String first = skipped.get(0).reason();
        return new CnnkitException(skipped.size() == 1 ? first
                : "none of the " + skipped.size() + " images could be decoded; the first: " + first);
    }
}
