package org.cnnkit.examples.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cnnkit.core.data.ImageFolder;
import org.cnnkit.core.datavec.LabelsFile;
import org.cnnkit.retrieval.FeatureExtractor;
import org.cnnkit.retrieval.Metric;
import org.cnnkit.retrieval.RetrievalEvaluation;
import org.cnnkit.retrieval.RetrievalMetrics;
import org.cnnkit.retrieval.SearchSettings;
import org.cnnkit.retrieval.VectorTransform;
import org.cnnkit.retrieval.store.StoreSchema;
import org.cnnkit.retrieval.store.StoreSpec;
import org.cnnkit.retrieval.store.VectorStore;
import org.cnnkit.retrieval.store.VectorStores;
import org.cnnkit.retrieval.plot.RetrievalCurvesChart;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code evaluate-retrieval}: every image of a labelled folder queries all the others (leave-one-out) and the
 * rankings are scored against the labels. The chosen settings (the library default, or {@code --pca D} with
 * optional {@code --whiten}) give the top-level keys; the usual alternatives are measured on the same features and
 * listed side by side under {@code variants}. With {@code --store SPEC} the collection is written into that (new,
 * empty) store and the top-level keys score the store's own searches (for an approximate store, its real
 * quality), with the exact result of the same settings beside them as {@code exact.*}.
 *
 * <p>Report keys: {@code map}, {@code precision_at_1}, {@code precision_at_4}, {@code precision_at_10},
 * {@code queries}, {@code settings}, {@code store}, {@code exact.map}, {@code exact.precision_at_10},
 * {@code seconds_store}, {@code skipped}, {@code labels_file} (with {@code --labels}), {@code variants[]} (each with
 * {@code settings} and the same metric keys), {@code seconds_extraction}, {@code extractor.*}, {@code engine}; with
 * {@code --plot DIR}: {@code plots.retrieval_curves} (the picture's path: precision-recall and precision at ranks 1
 * to 20, one line per variant, the chosen settings highlighted).
 */
@Command(name = "evaluate-retrieval", mixinStandardHelpOptions = true,
        description = "Leave-one-out retrieval quality (mAP, P@1, P@4, P@10) over a labelled folder.")
public final class EvaluateRetrievalCommand extends CliCommand {

    @Option(names = "--data", required = true, paramLabel = "DIR",
            description = "Labelled folder: one sub-folder per class (or the images of --labels).")
    private Path data;

    @Option(names = "--labels", paramLabel = "FILE.csv",
            description = "Labels file (file,class index,class name[,relative path]) for images under --data that are"
                    + " not one sub-folder per class.")
    private Path labels;

    @Mixin
    private EngineOption engine;

    @Mixin
    private ExtractorOptions extractor;

    @Option(names = "--pca", paramLabel = "D", description = "Evaluate PCA to D dimensions (+ L2) instead of the default.")
    private Integer pca;

    @Option(names = "--whiten", description = "With --pca: whiten the principal components.")
    private boolean whiten;

    @Mixin
    private StoreSelection stores;

    @Mixin
    private PlotOptions plot;

    /** Creates the command; picocli fills in its options. */
    public EvaluateRetrievalCommand() {
    }

    @Override
    protected void run(Report report) {
        if (pca != null && pca < 1) {
            throw usageError("--pca must be at least 1: " + pca);
        }
        if (whiten && pca == null) {
            throw usageError("--whiten needs --pca D");
        }
        if (plot.problem() != null) {
            throw usageError(plot.problem());
        }
        SearchSettings chosen = pca == null ? SearchSettings.defaults()
                : SearchSettings.of(Metric.EUCLIDEAN, whiten ? VectorTransform.pcaWhitened(pca) : VectorTransform.pca(pca),
                        VectorTransform.l2Normalize());
        // Read before the extractor is built, which may load (or download) hundreds of megabytes of weights: a
        // missing folder, a folder without class folders, an empty class or a bad labels file is refused first.
        ImageFolder collection = labels == null ? ImageFolder.scan(data) : LabelsFile.read(labels, data);
        FeatureExtractor features = extractor.spec().create(progress(), engine.engineOrDefault());
        long start = System.nanoTime();
        RetrievalEvaluation.LabeledFeatures labelled =
                RetrievalEvaluation.LabeledFeatures.extract(collection, features, progress());
        if (labels != null) {
            report.put("labels_file", labels.toString());
        }
        report.put("seconds_extraction", (System.nanoTime() - start) / 1e9);
        RetrievalMetrics exact = RetrievalEvaluation.evaluate(labelled.vectors(), labelled.labels(), chosen);
        RetrievalMetrics metrics = exact;
        Optional<StoreSpec> spec = stores.spec(null, "--index");
        if (spec.isPresent()) {
            StoreSchema schema = StoreSchema.of(features.identity(), chosen);
            long storeStart = System.nanoTime();
            try (VectorStore store = VectorStores.open(spec.get(),
                    stores.options().optSchemaForNewStore(schema).build())) {
                metrics = RetrievalEvaluation.evaluate(store, labelled.vectors(), labelled.labels(), progress());
            }
            report.put("store", spec.get().toString());
            report.put("seconds_store", (System.nanoTime() - storeStart) / 1e9);
            report.put("exact.map", exact.meanAveragePrecision());
            report.put("exact.precision_at_10", exact.precisionAt10());
        }
        report.put("map", metrics.meanAveragePrecision());
        report.put("precision_at_1", metrics.precisionAt1());
        report.put("precision_at_4", metrics.precisionAt4());
        report.put("precision_at_10", metrics.precisionAt10());
        report.put("queries", metrics.queries());
        report.put("settings", chosen.describe());
        report.put("classes", labelled.classNames());
        report.put("skipped", labelled.skipped().size());
        report.put("extractor.name", features.name());
        report.put("engine", features.engine().id());
        report.put("extractor.identity", features.identity().describe());
        out().printf("%-45s %s%n", chosen.describe() + spec.map(s -> " in " + s).orElse(""), metrics);
        out().println("Variants on the same features:");
        RetrievalCurvesChart.Builder curves = RetrievalCurvesChart.builder().optHighlight(chosen.describe());
        List<SearchSettings> variants = variants(metrics.queries());
        if (!variants.contains(chosen)) {
            curves.addVariant(chosen.describe(), metrics);
        }
        for (SearchSettings variant : variants) {
            // The chosen settings are usually one of the variants: reuse their result rather than a second O(n^2) pass.
            RetrievalMetrics m = variant.equals(chosen) ? exact
                    : RetrievalEvaluation.evaluate(labelled.vectors(), labelled.labels(), variant);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("settings", variant.describe());
            row.put("map", m.meanAveragePrecision());
            row.put("precision_at_1", m.precisionAt1());
            row.put("precision_at_4", m.precisionAt4());
            row.put("precision_at_10", m.precisionAt10());
            report.add("variants", row);
            out().printf("  %-43s %s%n", variant.describe(), m);
            curves.addVariant(variant.describe(), m);
        }
        plot.draw("retrieval_curves", "retrieval-curves", file -> curves.build().write(file), report, out());
    }

    private static List<SearchSettings> variants(int items) {
        List<SearchSettings> variants = new ArrayList<>();
        variants.add(SearchSettings.raw());
        variants.add(SearchSettings.of(Metric.COSINE));
        variants.add(SearchSettings.of(Metric.EUCLIDEAN, VectorTransform.center(), VectorTransform.l2Normalize()));
        variants.add(SearchSettings.defaults());
        for (int d : new int[] {16, 32, 64, 128}) {
            if (d < items) {
                variants.add(SearchSettings.of(Metric.EUCLIDEAN, VectorTransform.pca(d), VectorTransform.l2Normalize()));
            }
        }
        if (32 < items) {
            variants.add(SearchSettings.of(Metric.EUCLIDEAN, VectorTransform.pcaWhitened(32), VectorTransform.l2Normalize()));
        }
        return variants.stream().distinct().toList();
    }
}
