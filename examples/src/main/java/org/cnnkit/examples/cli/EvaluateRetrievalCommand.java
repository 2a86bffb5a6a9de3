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
import org.cnnkit.retrieval.NearDuplicateMetrics;
import org.cnnkit.retrieval.NearDuplicateSuite;
import org.cnnkit.retrieval.QueryExpansion;
import org.cnnkit.retrieval.RetrievalEvaluation;
import org.cnnkit.retrieval.RetrievalMetrics;
import org.cnnkit.retrieval.SearchSettings;
import org.cnnkit.retrieval.VectorTransform;
import org.cnnkit.retrieval.store.StoreSchema;
import org.cnnkit.retrieval.store.StoreSpec;
import org.cnnkit.retrieval.store.VectorStore;
import org.cnnkit.retrieval.store.VectorStores;
import org.cnnkit.retrieval.plot.NearDuplicateChart;
import org.cnnkit.retrieval.plot.RetrievalCurvesChart;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code evaluate-retrieval}: every image of a labelled folder queries all the others (leave-one-out), and every image
 * of one half of each class queries an index fitted on the other half (split halves, both ways); the rankings are
 * scored against the labels. A seeded near-duplicate suite ({@link NearDuplicateSuite}: distorted copies of a sample of
 * the collection) measures how often a copy finds its original first. The chosen settings (the library default, or
 * {@code --pca D} with optional {@code --whiten}) give the top-level keys, from the protocol {@code --protocol} names;
 * the usual alternatives are measured on the same features and listed side by side under {@code variants}. With
 * {@code --store SPEC} the collection is written into that (new, empty) store and the leave-one-out and near-duplicate
 * keys score the store's own searches (for an approximate store, its real quality), with the exact result of the same
 * settings beside them as {@code exact.*}.
 *
 * <p>Report keys: {@code protocol}, {@code map}, {@code precision_at_1}, {@code precision_at_4},
 * {@code precision_at_10}, {@code queries}, {@code leave_one_out.*} and {@code halves.*} (the same five keys per
 * protocol), {@code near_duplicates.recall_at_1}, {@code near_duplicates.recall_at_4}, {@code near_duplicates.queries},
 * {@code near_duplicates.sample}, {@code near_duplicates.seed}, {@code near_duplicates.per_distortion[]} (each
 * {@code distortion}, {@code recall_at_1}, {@code recall_at_4}, {@code queries}),
 * {@code seconds_near_duplicate_extraction}, {@code settings}, {@code store}, {@code exact.map},
 * {@code exact.precision_at_10}, {@code seconds_store}, {@code skipped}, {@code labels_file} (with {@code --labels}),
 * {@code variants[]} (each with {@code settings}, the leave-one-out metric keys, {@code halves_map} and
 * {@code halves_precision_at_4}), {@code seconds_extraction}, {@code extractor.*}, {@code engine}; with
 * {@code --plot DIR}: {@code plots.retrieval_curves} (the picture's path: precision-recall and precision at ranks 1
 * to 20, one line per variant, the chosen settings highlighted) and, with {@code --near-duplicates},
 * {@code plots.near_duplicates} (recall@1 and recall@4 per distortion as bars).
 */
@Command(name = "evaluate-retrieval", mixinStandardHelpOptions = true,
        description = "Retrieval quality over a labelled folder: mAP, P@1, P@4, P@10 by leave-one-out and by split"
                + " halves, and near-duplicate recall@1 and recall@4.")
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

    @Option(names = "--protocol", paramLabel = "loo|halves", defaultValue = "loo",
            description = "Which protocol gives the top-level keys: loo (leave-one-out, the default) or halves (fit on"
                    + " one half of every class, query with the other half, and the reverse). Both are printed.")
    private String protocol;

    @Option(names = "--near-duplicates", paramLabel = "N", defaultValue = "" + NearDuplicateSuite.DEFAULT_SAMPLE_SIZE,
            description = "Near-duplicate suite: N sampled images, each copied once per distortion (default"
                    + " ${DEFAULT-VALUE}; 0 skips it).")
    private int nearDuplicates;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "" + NearDuplicateSuite.DEFAULT_SEED,
            description = "Seed of the near-duplicate sample and distortions (default ${DEFAULT-VALUE}).")
    private long seed;

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
        if (!protocol.equals("loo") && !protocol.equals("halves")) {
            throw usageError("--protocol must be loo or halves: " + protocol);
        }
        if (nearDuplicates < 0) {
            throw usageError("--near-duplicates must be 0 (skip) or more: " + nearDuplicates);
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
        NearDuplicateSuite.Queries copies = null;
        if (nearDuplicates > 0) {
            long suiteStart = System.nanoTime();
            copies = NearDuplicateSuite.builder().optSampleSize(nearDuplicates).optSeed(seed).build()
                    .extract(labelled.files(), features, progress());
            report.put("seconds_near_duplicate_extraction", (System.nanoTime() - suiteStart) / 1e9);
        }
        RetrievalMetrics exact = RetrievalEvaluation.evaluate(labelled.vectors(), labelled.labels(), chosen);
        RetrievalMetrics halves = RetrievalEvaluation.evaluateHalves(labelled.vectors(), labelled.labels(), chosen);
        NearDuplicateMetrics duplicates = copies == null ? null
                : RetrievalEvaluation.nearDuplicates(labelled.vectors(), copies, chosen);
        RetrievalMetrics metrics = exact;
        Optional<StoreSpec> spec = stores.spec(null, "--index");
        if (spec.isPresent()) {
            StoreSchema schema = StoreSchema.of(features.identity(), chosen);
            long storeStart = System.nanoTime();
            try (VectorStore store = VectorStores.open(spec.get(),
                    stores.options().optSchemaForNewStore(schema).build())) {
                metrics = RetrievalEvaluation.evaluate(store, labelled.vectors(), labelled.labels(), progress());
                if (copies != null) {
                    duplicates = RetrievalEvaluation.nearDuplicates(store, copies);
                }
            }
            report.put("store", spec.get().toString());
            report.put("seconds_store", (System.nanoTime() - storeStart) / 1e9);
            report.put("exact.map", exact.meanAveragePrecision());
            report.put("exact.precision_at_10", exact.precisionAt10());
        }
        putMetrics(report, "leave_one_out.", metrics);
        putMetrics(report, "halves.", halves);
        RetrievalMetrics top = protocol.equals("halves") ? halves : metrics;
        report.put("protocol", protocol);
        report.put("map", top.meanAveragePrecision());
        report.put("precision_at_1", top.precisionAt1());
        report.put("precision_at_4", top.precisionAt4());
        report.put("precision_at_10", top.precisionAt10());
        if (duplicates != null) {
            report.put("near_duplicates.recall_at_1", duplicates.recallAt1());
            report.put("near_duplicates.recall_at_4", duplicates.recallAt4());
            report.put("near_duplicates.queries", duplicates.queries());
            report.put("near_duplicates.sample", nearDuplicates);
            report.put("near_duplicates.seed", seed);
            for (NearDuplicateMetrics.DistortionRecall recall : duplicates.perDistortion()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("distortion", recall.distortion().key());
                row.put("recall_at_1", recall.recallAt1());
                row.put("recall_at_4", recall.recallAt4());
                row.put("queries", recall.queries());
                report.add("near_duplicates.per_distortion", row);
            }
        }
        report.put("queries", top.queries());
        report.put("settings", chosen.describe());
        report.put("classes", labelled.classNames());
        report.put("skipped", labelled.skipped().size());
        report.put("extractor.name", features.name());
        report.put("engine", features.engine().id());
        report.put("extractor.identity", features.identity().describe());
        String where = chosen.describe() + spec.map(s -> " in " + s).orElse("");
        out().printf("%-45s leave-one-out  %s%n", where, metrics);
        out().printf("%-45s split halves   %s%n", "", halves);
        if (duplicates != null) {
            out().printf("%-45s %s%n", "", duplicates);
            for (NearDuplicateMetrics.DistortionRecall recall : duplicates.perDistortion()) {
                out().printf(java.util.Locale.ROOT, "  %-43s recall@1 %.3f  recall@4 %.3f  (%d copies)%n",
                        recall.distortion().key(), recall.recallAt1(), recall.recallAt4(), recall.queries());
            }
        }
        out().println("Variants on the same features (leave-one-out | split halves):");
        RetrievalCurvesChart.Builder curves = RetrievalCurvesChart.builder().optHighlight(chosen.describe());
        List<SearchSettings> variants = variants(metrics.queries());
        if (!variants.contains(chosen)) {
            curves.addVariant(chosen.describe(), metrics);
        }
        for (SearchSettings variant : variants) {
            // The chosen settings are usually one of the variants: reuse their result rather than a second O(n^2) pass.
            RetrievalMetrics m = variant.equals(chosen) ? exact
                    : RetrievalEvaluation.evaluate(labelled.vectors(), labelled.labels(), variant);
            RetrievalMetrics h = variant.equals(chosen) ? halves
                    : RetrievalEvaluation.evaluateHalves(labelled.vectors(), labelled.labels(), variant);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("settings", variant.describe());
            row.put("map", m.meanAveragePrecision());
            row.put("precision_at_1", m.precisionAt1());
            row.put("precision_at_4", m.precisionAt4());
            row.put("precision_at_10", m.precisionAt10());
            row.put("halves_map", h.meanAveragePrecision());
            row.put("halves_precision_at_4", h.precisionAt4());
            report.add("variants", row);
            out().printf(java.util.Locale.ROOT, "  %-43s %s | mAP %.3f  P@4 %.3f%n", variant.describe(), m,
                    h.meanAveragePrecision(), h.precisionAt4());
            curves.addVariant(variant.describe(), m);
        }
        plot.draw("retrieval_curves", "retrieval-curves", file -> curves.build().write(file), report, out());
        if (duplicates != null) {
            NearDuplicateMetrics copyRecall = duplicates;
            plot.draw("near_duplicates", "near-duplicates", file -> NearDuplicateChart.of(copyRecall).write(file),
                    report, out());
        }
    }

    private static void putMetrics(Report report, String prefix, RetrievalMetrics metrics) {
        report.put(prefix + "map", metrics.meanAveragePrecision());
        report.put(prefix + "precision_at_1", metrics.precisionAt1());
        report.put(prefix + "precision_at_4", metrics.precisionAt4());
        report.put(prefix + "precision_at_10", metrics.precisionAt10());
        report.put(prefix + "queries", metrics.queries());
    }

    private static List<SearchSettings> variants(int items) {
        List<SearchSettings> variants = new ArrayList<>();
        variants.add(SearchSettings.raw());
        variants.add(SearchSettings.of(Metric.COSINE));
        variants.add(SearchSettings.of(Metric.EUCLIDEAN, VectorTransform.center(), VectorTransform.l2Normalize()));
        variants.add(SearchSettings.defaults().withoutExpansion());
        variants.add(SearchSettings.defaults());
        // The previous default expansion: a second search in the whole search space, 5 neighbours.
        variants.add(SearchSettings.defaults().withExpansion(new QueryExpansion(5, 3, 1)));
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
