package org.cnnkit.examples.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.retrieval.ExtractionResult;
import org.cnnkit.retrieval.ExtractorSpec;
import org.cnnkit.retrieval.FeatureExtractor;
import org.cnnkit.retrieval.ImageSearch;
import org.cnnkit.retrieval.SearchSettings;
import org.cnnkit.retrieval.store.StoreNotFoundException;
import org.cnnkit.retrieval.store.StoreSchema;
import org.cnnkit.retrieval.store.StoreSpec;
import org.cnnkit.retrieval.store.VectorStore;
import org.cnnkit.retrieval.store.VectorStores;
import org.cnnkit.retrieval.spark.StoreLoad;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code index}: extracts the features of every image under a folder and writes them into a vector store
 * ({@code --store SPEC}, or {@code --out FILE} for the exact store {@code exact:FILE}); when the store exists, only
 * new or changed files are extracted (and entries of deleted files under the folder dropped), by default with the
 * extractor the store records. Each batch is written under the store's writer lock, so two runs into one store keep
 * both runs' entries; a second writer waits up to {@code --lock-timeout}.
 *
 * <p>With {@code --from-parquet DIR} instead of {@code --data}, loads the features table the Spark job wrote into the
 * store (report keys {@code loaded}, {@code total}, {@code dimension}, {@code seconds_loading},
 * {@code extractor.identity}, {@code extractor.weights_sha256}, {@code table.location}, {@code table.format_version},
 * {@code root}, {@code store}).
 *
 * <p>Report keys: {@code indexed}, {@code skipped}, {@code skipped_files[].file}, {@code skipped_files[].reason},
 * {@code unchanged}, {@code removed}, {@code total}, {@code dimension}, {@code seconds_indexing},
 * {@code extractor.*}, {@code engine}, {@code settings}, {@code store}, {@code root}, {@code index} (exact stores).
 */
@Command(name = "index", mixinStandardHelpOptions = true,
        description = "Extracts features of every image under DIR into a feature index (only new or changed files "
                + "when INDEX exists).")
public final class IndexCommand extends CliCommand {

    @Option(names = "--data", paramLabel = "DIR", description = "Folder of images, searched recursively.")
    private Path data;

    @Option(names = "--from-parquet", paramLabel = "DIR",
            description = "Instead of --data: load the features table written by the Spark job (its output folder) "
                    + "into the store, checking the extractor identity. Needs Spark on the class path (docs/spark.md).")
    private String fromParquet;

    @Mixin
    private EngineOption engine;

    @Mixin
    private ExtractorOptions extractor;

    @Option(names = "--out", paramLabel = "INDEX", description = "The index file to write or update (short for "
            + "--store exact:INDEX).")
    private Path out;

    @Mixin
    private StoreSelection stores;

    @Option(names = "--lock-timeout", paramLabel = "DURATION", defaultValue = "5m",
            description = "How long to wait for another writer of the store: 500ms, 30s, 5m, 2h or ISO-8601 (PT5M). "
                    + "Default: ${DEFAULT-VALUE}.")
    private String lockTimeout;

    /** Creates the command; picocli fills in its options. */
    public IndexCommand() {
    }

    @Override
    protected void run(Report report) {
        if ((data == null) == (fromParquet == null)) {
            throw usageError("give exactly one of --data DIR and --from-parquet DIR");
        }
        if (fromParquet != null) {
            loadTable(report);
            return;
        }
        // Checked before the extractor is built: that may load (or download) hundreds of megabytes of weights.
        if (!Files.isDirectory(data)) {
            throw new CnnkitException("image folder " + (Files.exists(data) ? "is not a folder" : "does not exist")
                    + ": " + data.toAbsolutePath());
        }
        StoreSpec spec = stores.spec(out, "--out").orElseThrow(() -> usageError("give --store SPEC or --out FILE"));
        Duration timeout = StoreSelection.parseDuration(lockTimeout);
        // An existing store is opened (and checked for damage) once, before the extractor is built, and updated with
        // the extractor it records unless --extractor names another; the store refuses vectors of another extractor.
        VectorStore existing;
        try {
            existing = VectorStores.open(spec, stores.options().optLockTimeout(timeout).build());
        } catch (StoreNotFoundException e) {
            existing = null; // a new store: created below with the extractor's schema
        }
        try (ImageSearch search = existing != null ? update(spec, existing) : create(spec, timeout)) {
            ImageSearch.IndexingReport result = search.indexFolder(data, progress());
            report(report, spec, search, result);
        }
    }

    /** {@code --from-parquet}: loads a Spark job's table on this machine (a local Spark session reads it). */
    private void loadTable(Report report) {
        StoreSpec spec = stores.spec(out, "--out").orElseThrow(() -> usageError("give --store SPEC or --out FILE"));
        try {
            loadTable(report, spec);
        } catch (NoClassDefFoundError e) {
            throw LocalSpark.missing(e);
        }
    }

    private void loadTable(Report report, StoreSpec spec) {
        org.apache.spark.sql.SparkSession spark = LocalSpark.start(1);
        try {
            StoreLoad.Builder load = StoreLoad.builder().setTable(fromParquet).setStore(spec)
                    .optParameters(stores.options().build().parameters());
            long start = System.nanoTime();
            StoreLoad.Report result = load.build().runLocally(spark, progress());
            report.put("loaded", result.loaded());
            report.put("total", result.total());
            report.put("dimension", result.table().identity().dimension());
            report.put("seconds_loading", (System.nanoTime() - start) / 1e9);
            report.put("extractor.identity", result.table().identity().describe());
            report.put("extractor.weights_sha256", result.table().identity().weightsChecksum());
            report.put("table.location", fromParquet);
            report.put("table.format_version", result.table().formatVersion());
            report.put("root", result.table().root());
            report.put("store", spec.toString());
            out().printf("Loaded %d vectors from %s into %s: %d entries of %d values%n", result.loaded(), fromParquet,
                    spec, result.total(), result.table().identity().dimension());
        } finally {
            spark.stop();
        }
    }

    private ImageSearch update(StoreSpec spec, VectorStore existing) {
        FeatureExtractor features;
        try {
            ExtractorSpec extractorSpec = extractor.spec(ExtractorSpec.fromProperties(existing.schema().properties()));
            features = extractorSpec.create(progress(), engine.engineOrDefault());
        } catch (RuntimeException e) {
            existing.close();
            throw e;
        }
        return ImageSearch.of(spec, existing, features);
    }

    private ImageSearch create(StoreSpec spec, Duration timeout) {
        ExtractorSpec extractorSpec = extractor.spec(Optional.empty());
        FeatureExtractor features = extractorSpec.create(progress(), engine.engineOrDefault());
        StoreSchema schema = ImageSearch.newStoreSchema(spec, features.identity(), SearchSettings.defaults(),
                extractorSpec.toProperties(), data);
        return ImageSearch.open(spec, stores.options().optLockTimeout(timeout).optSchemaForNewStore(schema).build(),
                features);
    }

    private void report(Report report, StoreSpec spec, ImageSearch search, ImageSearch.IndexingReport result) {
        report.put("indexed", result.indexed());
        report.put("skipped", result.skipped().size());
        for (ExtractionResult.SkippedFile skip : result.skipped()) {
            report.add("skipped_files", Map.of("file", skip.path().toString(), "reason", skip.reason()));
        }
        report.put("unchanged", result.unchanged());
        report.put("removed", result.removed());
        report.put("total", result.total());
        report.put("dimension", search.extractor().dimension());
        report.put("seconds_indexing", result.elapsed().toNanos() / 1e9);
        report.put("extractor.name", search.extractor().name());
        report.put("engine", search.extractor().engine().id());
        report.put("extractor.identity", search.extractor().identity().describe());
        report.put("extractor.weights_sha256", search.extractor().identity().weightsChecksum());
        StoreSchema schema = search.store().schema();
        report.put("settings", schema.transforms().toString() + " " + schema.metric());
        report.put("store", spec.toString());
        search.root().ifPresent(root -> report.put("root", root));
        if (spec.kind() == StoreSpec.Kind.EXACT) {
            report.put("index", Path.of(spec.location()).toAbsolutePath().normalize());
        }
        out().printf("Indexed %d images (%d unchanged, %d removed, %d skipped) into %s: %d entries of %d values%n",
                result.indexed(), result.unchanged(), result.removed(), result.skipped().size(),
                spec.kind() == StoreSpec.Kind.EXACT ? spec.location() : spec.toString(), result.total(),
                search.extractor().dimension());
        for (ExtractionResult.SkippedFile skip : result.skipped()) {
            err().println("skipped " + skip.path() + ": " + skip.reason());
        }
    }
}
