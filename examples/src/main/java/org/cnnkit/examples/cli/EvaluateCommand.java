package org.cnnkit.examples.cli;

import java.nio.file.Path;
import org.cnnkit.core.data.ImageFolder;
import org.cnnkit.core.metrics.ClassificationMetrics;
import org.cnnkit.zoo.ImageClassifier;
import org.cnnkit.zoo.InferenceEngine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code evaluate}: scores a saved model on a labelled image folder whose class folders are the model's classes.
 *
 * <p>Report keys: {@code accuracy}, {@code count}, {@code correct}, {@code classes}, {@code per_class} (each
 * {@code class, precision, recall, f1, support}), {@code macro_avg}, {@code confusion_matrix} (rows actual,
 * columns predicted), {@code model}, {@code data}, {@code engine}.
 */
@Command(name = "evaluate",
        mixinStandardHelpOptions = true,
        description = "Accuracy, per-class precision/recall/F1 and confusion matrix of a model on an image folder.")
public final class EvaluateCommand extends CliCommand {

    @Mixin
    private EngineOption engine;

    @Option(names = "--model", required = true, paramLabel = "MODEL", description = "A model file written by train.")
    private Path model;

    @Option(names = "--data", required = true, paramLabel = "DIR",
            description = "Root folder with one sub-folder of images per class, named as the model's classes.")
    private Path data;

    /** Creates the command; picocli fills in its options. */
    public EvaluateCommand() {
    }

    /**
     * Loads the model, evaluates it on the folder, prints the metrics table and fills the report.
     *
     * @param report filled with the keys listed in the class description
     * @throws org.cnnkit.core.CnnkitException if the model or the folder cannot be read, or their classes differ
     */
    @Override
    protected void run(Report report) {
        ImageClassifier classifier = ImageClassifier.load(model);
        InferenceEngine chosen = engine.engineOrDefault();
        if (chosen != null) {
            classifier = classifier.withEngine(chosen);
        }
        ClassificationMetrics metrics = classifier.evaluate(ImageFolder.scan(data));
        metrics.toMap().forEach(report::put);
        report.put("model", model.toAbsolutePath().normalize());
        report.put("data", data.toAbsolutePath().normalize());
        report.put("engine", classifier.engine().id());
        out().print(metrics.toTable());
    }
}
