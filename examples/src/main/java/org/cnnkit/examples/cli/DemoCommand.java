package org.cnnkit.examples.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.Augmentation;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.metrics.ClassificationMetrics;
import org.cnnkit.examples.EmbeddedDigits;
import org.cnnkit.examples.PatternGallery;
import org.cnnkit.retrieval.ContactSheet;
import org.cnnkit.retrieval.ExtractorSpec;
import org.cnnkit.retrieval.ImageSearch;
import org.cnnkit.retrieval.SearchSettings;
import org.cnnkit.zoo.ClassifierTrainer;
import org.cnnkit.zoo.ImageClassifier;
import org.cnnkit.zoo.Prediction;
import org.cnnkit.zoo.SeedCnn;
import org.cnnkit.zoo.TrainingResult;
import org.cnnkit.zoo.TransferLearner;
import org.cnnkit.zoo.weights.PretrainedWeights;
import org.cnnkit.zoo.weights.WeightsSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code demo}: the three jobs of cnnkit on data that ships with it, so that a new user sees everything work with no
 * download of data:
 * <ol>
 *   <li>classify: the notebook's CNN trained from scratch on the embedded handwritten digits 0/1/2;</li>
 *   <li>transfer-learn: ImageNet-pretrained MobileNetV2 (alpha 0.35), frozen, with a new head, on the same digits;</li>
 *   <li>retrieve: the embedded pattern gallery indexed with pooled MobileNetV2 features, searched with new pictures,
 *       each result drawn as a contact sheet.</li>
 * </ol>
 * Jobs 2 and 3 need the MobileNetV2 weights (2 MB): {@code --mobilenet-weights FILE}, else the cache
 * ({@code ~/.cnnkit/models}) or a download. Where none of these works (offline), those jobs are skipped with the
 * message that says which file to fetch and where to put it; job 1 always runs.
 *
 * <p>Report keys: {@code out}, {@code classify.*} (validation accuracy, confusion matrix, train seconds, model file),
 * {@code transfer.*} (the same, or {@code transfer.skipped}), {@code retrieve.*} (indexed, queries, pictures, or
 * {@code retrieve.skipped}).
 */
@Command(name = "demo",
        mixinStandardHelpOptions = true,
        description = "Runs the three jobs (classify, transfer-learn, retrieve) on the data embedded in cnnkit.")
public final class DemoCommand extends CliCommand {

    private static final double ALPHA = 0.35;

    @Option(names = "--out", paramLabel = "DIR",
            description = "Folder for the data, models, index and pictures (default: a new temporary folder).")
    private Path out;

    @Option(names = "--epochs", paramLabel = "N", defaultValue = "10",
            description = "Training epochs of jobs 1 and 2 (default: ${DEFAULT-VALUE}).")
    private int epochs;

    @Option(names = "--image-size", paramLabel = "N", defaultValue = "28",
            description = "Image size of job 1, N x N RGB (default: ${DEFAULT-VALUE}, the digits' own size; the "
                    + "notebook used 100).")
    private int imageSize;

    @Option(names = "--mobilenet-weights", paramLabel = "FILE",
            description = "Keras MobileNetV2 alpha 0.35 no-top weights (.h5) for jobs 2 and 3; default: the cache or "
                    + "a download.")
    private Path mobilenetWeights;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42",
            description = "Seed of weights, split, shuffling and augmentation (default: ${DEFAULT-VALUE}).")
    private long seed;

    /** Creates the command; picocli fills in its options. */
    public DemoCommand() {
    }

    /**
     * Runs the three jobs, printing what each does, and fills the report.
     *
     * @param report filled with the keys listed in the class description
     * @throws IOException if the output folder cannot be created
     * @throws CnnkitException if a job fails for a reason other than missing pretrained weights
     */
    @Override
    protected void run(Report report) throws IOException {
        if (epochs < 1) {
            throw usageError("--epochs must be at least 1, got " + epochs);
        }
        if (imageSize < 1) {
            throw usageError("--image-size must be at least 1, got " + imageSize);
        }
        Path folder = out != null ? Files.createDirectories(out) : Files.createTempDirectory("cnnkit-demo");
        report.put("out", folder.toAbsolutePath().normalize());
        Path digits = EmbeddedDigits.load().extractTo(folder.resolve("digits"));

        classify(digits, folder, report);
        Optional<Path> weights = mobileNetWeights(report);
        if (weights.isPresent()) {
            transfer(digits, weights.get(), folder, report);
            retrieve(weights.get(), folder, report);
        }
        out().println();
        out().println("Everything the demo wrote is under " + folder.toAbsolutePath().normalize());
    }

    private void classify(Path digits, Path folder, Report report) {
        heading("1/3 classify: the notebook's CNN trained from scratch on " + digits);
        TrainingResult result = ClassifierTrainer.builder()
                .setEpochs(epochs)
                .optNetwork(SeedCnn.NOTEBOOK)
                .optInputShape(InputShape.rgb(imageSize))
                .optAugmentation(Augmentation.notebookDigits())
                .optValidationSplit(0.2)
                .optSeed(seed)
                .optProgressListener(progress())
                .optEpochListener((stats, planned) -> out().println("  " + stats))
                .build()
                .train(digits);
        Path model = folder.resolve("digits-cnn.cnnkit");
        result.classifier().save(model);
        Prediction prediction = ImageClassifier.load(model).predict(firstImage(digits.resolve("2")), 1);
        putTraining(report, "classify", result, model);
        out().printf(Locale.ROOT, "  saved %s; reloaded, it reads %s as '%s' (p=%.3f)%n", model,
                prediction.file().getFileName(), prediction.top().get(0).label(), prediction.top().get(0).probability());
    }

    private Optional<Path> mobileNetWeights(Report report) {
        try {
            PretrainedWeights resolver = PretrainedWeights.builder().optProgressListener(progress()).build();
            return Optional.of(mobilenetWeights != null ? resolver.resolve(mobilenetWeights)
                    : resolver.resolve(WeightsSource.mobileNetV2NoTop(ALPHA, 224)));
        } catch (CnnkitException e) {
            String reason = e.getMessage();
            heading("2/3 transfer-learn and 3/3 retrieve: skipped, no pretrained MobileNetV2 weights");
            out().println("  " + reason);
            out().println("  (or run again with --mobilenet-weights FILE)");
            report.put("transfer.skipped", reason);
            report.put("retrieve.skipped", reason);
            return Optional.empty();
        }
    }

    private void transfer(Path digits, Path weights, Path folder, Report report) {
        heading("2/3 transfer-learn: frozen ImageNet MobileNetV2 (alpha " + ALPHA + ") + a new head on " + digits);
        TrainingResult result = TransferLearner.builder()
                .setWeights(weights)
                .optAlpha(ALPHA)
                .optInputShape(InputShape.rgb(96))
                .optEpochs(epochs)
                .optValidationSplit(0.2)
                .optSeed(seed)
                .optProgressListener(progress())
                .optEpochListener((stats, planned) -> out().println("  " + stats))
                .build()
                .train(digits);
        Path model = folder.resolve("digits-mobilenetv2.cnnkit");
        result.classifier().save(model);
        putTraining(report, "transfer", result, model);
        out().println("  saved " + model);
    }

    private void retrieve(Path weights, Path folder, Report report) {
        Path database = folder.resolve("patterns");
        Path queries = folder.resolve("pattern-queries");
        int drawn = PatternGallery.write(database, 6, 160, 1);
        PatternGallery.write(queries, 1, 160, 2);
        heading("3/3 retrieve: " + drawn + " generated pictures indexed with pooled MobileNetV2 features");
        ExtractorSpec spec = ExtractorSpec.mobileNetV2(ALPHA).withWeights(weights);
        ImageSearch search = ImageSearch.create(spec, SearchSettings.defaults(), progress());
        ImageSearch.IndexingReport indexing = search.indexFolder(database, progress());
        Path index = folder.resolve("patterns.cfi");
        search.save(index);
        List<Path> queryFiles = new ArrayList<>();
        for (String family : PatternGallery.FAMILIES) {
            queryFiles.add(firstImage(queries.resolve(family)));
        }
        ContactSheet sheet = new ContactSheet(160);
        int sameFamily = 0;
        List<Path> pictures = new ArrayList<>();
        for (ImageSearch.QueryResult result : search.search(queryFiles, 4, progress())) {
            String family = result.query().getParent().getFileName().toString();
            Path picture = folder.resolve("search-" + family + ".png");
            sheet.write(result.query(), result.matches(), picture);
            pictures.add(picture);
            long hits = result.matches().stream()
                    .filter(m -> m.file().getParent().getFileName().toString().equals(family)).count();
            sameFamily += (int) hits;
            out().printf(Locale.ROOT, "  %-12s top-4 from the same family: %d/4  -> %s%n", family, hits, picture);
        }
        report.put("retrieve.indexed", indexing.indexed());
        report.put("retrieve.index", index.toAbsolutePath().normalize());
        report.put("retrieve.queries", queryFiles.size());
        report.put("retrieve.precision_at_4", (double) sameFamily / (4.0 * queryFiles.size()));
        report.put("retrieve.pictures", pictures);
    }

    private void putTraining(Report report, String key, TrainingResult result, Path model) {
        report.put(key + ".epochs", result.history().epochs().size());
        report.put(key + ".train_seconds", result.history().seconds());
        report.put(key + ".model", model.toAbsolutePath().normalize());
        result.validation().ifPresent(metrics -> {
            report.put(key + ".validation.accuracy", metrics.accuracy());
            report.put(key + ".validation.confusion_matrix", metrics.toMap().get("confusion_matrix"));
            out().print(indent(metrics.toTable()));
        });
    }

    private void heading(String text) {
        out().println();
        out().println("== " + text);
    }

    private static String indent(String table) {
        StringBuilder indented = new StringBuilder();
        table.lines().forEach(line -> indented.append(line.isEmpty() ? "" : "  " + line).append(System.lineSeparator()));
        return indented.toString();
    }

    private static Path firstImage(Path folder) {
        try (var files = Files.list(folder)) {
            return files.filter(Files::isRegularFile).sorted().findFirst()
                    .orElseThrow(() -> new CnnkitException("no image in " + folder));
        } catch (IOException e) {
            throw new CnnkitException("cannot list " + folder + ": " + e.getMessage(), e);
        }
    }
}
