package org.cnnkit.retrieval.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkFiles;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.retrieval.ExtractorSpec;
import org.cnnkit.retrieval.FeatureExtractor;
import org.cnnkit.zoo.InferenceEngine;

/**
 * The feature extractors of one JVM (a Spark executor, or the driver in local mode), built once per spec and engine
 * and shared by every task the JVM runs: loading VGG16's weights takes seconds and half a gigabyte, so it must not
 * happen per row or per partition. Extractors are thread-safe, so concurrent tasks use one.
 *
 * <p>This is the one piece of static state in cnnkit, on purpose: Spark gives no other handle that lives as long as
 * an executor JVM (the pattern of Spark's streaming guide, "a static, lazily initialized pool").
 */
final class ExecutorExtractors {

    private static final Map<String, FeatureExtractor> EXTRACTORS = new ConcurrentHashMap<>();

    private ExecutorExtractors() {
    }

    /**
     * Returns this JVM's extractor for a spec, building it on first use.
     *
     * @param spec the spec as {@link ExtractorSpec#toProperties()} wrote it
     * @param engine the engine id, or null for the fastest available
     * @return the extractor
     * @throws CnnkitException if the spec is invalid or its weights cannot be found on this machine
     */
    static FeatureExtractor get(Map<String, String> spec, String engine) {
        String key = new java.util.TreeMap<>(spec) + "|" + engine;
        return EXTRACTORS.computeIfAbsent(key, ignored -> {
            ExtractorSpec parsed = ExtractorSpec.fromProperties(spec)
                    .orElseThrow(() -> new CnnkitException("no extractor in the job's configuration: " + spec));
            ExtractorSpec local = parsed.weights().map(weights -> parsed.withWeights(locate(weights))).orElse(parsed);
            return local.create(ProgressListener.none(), engine == null ? null : InferenceEngine.parse(engine));
        });
    }

    /**
     * Finds a weights file on this machine: at its path (shared storage, or the driver in local mode), or where
     * {@code spark-submit --files} put it.
     */
    private static Path locate(Path weights) {
        if (Files.isRegularFile(weights)) {
            return weights;
        }
        Optional<Path> shipped = Optional.empty();
        try {
            shipped = Optional.of(Path.of(SparkFiles.get(weights.getFileName().toString())));
        } catch (RuntimeException e) {
            // no SparkContext here: only the path itself counts
        }
        if (shipped.isPresent() && Files.isRegularFile(shipped.get())) {
            return shipped.get();
        }
        throw new CnnkitException("the weights file " + weights + " is not on this executor: ship it with "
                + "spark-submit --files " + weights + " (or put it at that path on every node)");
    }
}
