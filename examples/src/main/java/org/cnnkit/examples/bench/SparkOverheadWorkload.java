package org.cnnkit.examples.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.examples.cli.LocalSpark;
import org.cnnkit.retrieval.ExtractorSpec;
import org.cnnkit.retrieval.FeatureExtractor;
import org.cnnkit.retrieval.ImageSearch;
import org.cnnkit.retrieval.SearchSettings;
import org.cnnkit.retrieval.store.StoreOptions;
import org.cnnkit.retrieval.store.StoreSpec;
import org.cnnkit.zoo.InferenceEngine;

/**
 * {@code spark-overhead}: Corel-1K through the Spark job in {@code local[2]} against {@code cnnkit index} in one
 * process, same extractor (MobileNetV2 0.35, 224x224, the shared weights) and engine. The value is the job's images/s
 * over the index's images/s; both rates are beside it. The index runs first, in this JVM, into a new exact store
 * (the extractor built before the clock starts); the job then runs in a child JVM with Spark on its class path
 * ({@link SparkOverheadChild}), which builds its extractor and starts its session before its clock starts, and times
 * the whole job: listing, extraction, the Parquet writes and the counts.
 */
final class SparkOverheadWorkload {

    static final String NAME = "spark-overhead";

    private SparkOverheadWorkload() {
    }

    static BenchResult run(String peer, InferenceEngine engine) {
        CorelAssets assets = CorelAssets.locate(NAME);
        Path corel = assets.corel();
        Path weights = assets.weights();
        ExtractorSpec spec = ExtractorSpec.mobileNetV2(0.35).withWeights(weights);
        Path work = null;
        try {
            work = Files.createTempDirectory("cnnkit-spark-overhead");
            FeatureExtractor extractor = spec.create(ProgressListener.none(), engine);
            StoreSpec store = StoreSpec.parse("exact:" + work.resolve("corel.cfi"));
            StoreOptions options = StoreOptions.builder().optSchemaForNewStore(ImageSearch.newStoreSchema(store,
                    extractor.identity(), SearchSettings.defaults(), spec.toProperties(), corel)).build();
            long indexed;
            long start = System.nanoTime();
            try (ImageSearch search = ImageSearch.open(store, options, extractor)) {
                indexed = search.indexFolder(corel, ProgressListener.none()).indexed();
            }
            double indexSeconds = (System.nanoTime() - start) / 1e9;
            double[] job = runChild(corel, work.resolve("table"), weights, engine);
            double indexRate = indexed / indexSeconds;
            double sparkRate = job[1] / job[0];
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("spark_images_per_s", sparkRate);
            extra.put("index_images_per_s", indexRate);
            extra.put("images", indexed);
            extra.put("spark_vectors", (long) job[1]);
            extra.put("spark_seconds", job[0]);
            extra.put("index_seconds", indexSeconds);
            extra.put("master", "local[2]");
            extra.put("extractor", extractor.identity().describe());
            extra.put("engine", extractor.engine().id());
            return new BenchResult(NAME, sparkRate / indexRate, "ratio", peer, PeakMemory.peakRssMib(), extra);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            delete(work);
        }
    }

    /** Runs the job in a child JVM; returns its seconds and vectors. */
    private static double[] runChild(Path corel, Path table, Path weights, InferenceEngine engine) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> inherited = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> !a.startsWith("-agentlib") && !a.startsWith("-javaagent")).toList();
        command.addAll(inherited);
        for (String option : LocalSpark.jvmOptions()) {
            if (!inherited.contains(option)) {
                command.add(option);
            }
        }
        command.add("-cp");
        command.add(LocalSpark.childClassPath());
        command.add(SparkOverheadChild.class.getName());
        command.add(corel.toString());
        command.add(table.toString());
        command.add(weights.toString());
        command.add(engine == null ? "fastest" : engine.id());
        try {
            Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String result = null;
            try (BufferedReader lines = new BufferedReader(
                    new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    if (line.startsWith(SparkOverheadChild.RESULT)) {
                        result = line.substring(SparkOverheadChild.RESULT.length()).trim();
                    }
                }
            }
            int exit = child.waitFor();
            if (exit != 0 || result == null) {
                throw new CnnkitException(NAME + ": the Spark job's JVM failed (exit " + exit + "); is Spark on its "
                        + "class path (examples/target/spark-lib)? See the messages above");
            }
            String[] parts = result.split(" ");
            return new double[] {Double.parseDouble(parts[0]), Double.parseDouble(parts[1])};
        } catch (IOException e) {
            throw new CnnkitException("cannot start the Spark job's JVM: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CnnkitException("interrupted while running the Spark job", e);
        }
    }

    private static void delete(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            // a temporary folder left behind
        }
    }
}
