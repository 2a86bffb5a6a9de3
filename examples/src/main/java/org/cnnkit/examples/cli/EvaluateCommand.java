package org.cnnkit.examples.cli;

import java.nio.file.Path;
import org.cnnkit.core.data.ImageFolder;
import org.cnnkit.core.metrics.ClassificationMetrics;
import org.cnnkit.zoo.EvaluationResult;
import org.cnnkit.core.plot.ConfusionMatrixChart;
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
 * columns predicted), {@code model}, {@code data}, {@code engine}, {@code skipped} (per file that could not be decoded
 * and was left out of the metrics: {@code file}, {@code reason}); with {@code --plot DIR}:
 * {@code plots.confusion_matrix} (the picture's path).
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

    @Mixin
    private PlotOptions plot;

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
        if (plot.problem() != null) {
            throw usageError(plot.problem());
        }
        ImageClassifier classifier = ImageClassifier.load(model);
        InferenceEngine chosen = engine.engineOrDefault();
        if (chosen != null) {
            classifier = classifier.withEngine(chosen);
        }
        EvaluationResult result = classifier.evaluateReadable(ImageFolder.scan(data));
        ClassificationMetrics metrics = result.metrics();
        metrics.toMap().forEach(report::put);
        report.put("model", model.toAbsolutePath().normalize());
        report.put("data", data.toAbsolutePath().normalize());
        report.put("engine", classifier.engine().id());
        report.put("skipped", SkippedFiles.toReport(result.skipped()));
        out().print(metrics.toTable());
        plot.draw("confusion_matrix", "confusion-matrix", file -> ConfusionMatrixChart.write(metrics,
                "Confusion matrix, " + data.toAbsolutePath().normalize().getFileName(), file), report,
                out());
    }
}
