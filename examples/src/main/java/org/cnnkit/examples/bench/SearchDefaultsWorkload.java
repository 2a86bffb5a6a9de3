package org.cnnkit.examples.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.cnnkit.retrieval.SearchSettings;
import org.cnnkit.retrieval.store.ExactVectorStore;
import org.cnnkit.retrieval.store.StoreBatch;
import org.cnnkit.retrieval.store.StoreSchema;
import org.cnnkit.retrieval.store.VectorStore;

/**
 * {@code search-defaults-100k-256}: top-4 searches, 64 queries a batch, over 100,000 clustered vectors of 256 values
 * (200 Gaussian clusters of non-negative, ReLU-like features) in an exact store, with the library's default search
 * settings ({@link SearchSettings#defaults()}: L2, PCA to 70% of the variance, L2, then the default query expansion:
 * one search of depth 30 whose entries are re-ranked with the expanded query, the nearest pinned) and, back to back in
 * the same process on the same store contents, with the previous default's transforms searched once per query without
 * expansion (the same transforms). The line's value is the current default's queries/s;
 * {@code previous_default_queries_per_s} and {@code cost_ratio} (previous / current) are extras.
 */
final class SearchDefaultsWorkload {

    static final String NAME = "search-defaults-100k-256";

    private static final int N = 100_000;
    private static final int DIMENSION = 256;
    private static final int CLUSTERS = 200;
    private static final int QUERIES = 64;
    private static final int K = 4;

    private SearchDefaultsWorkload() {
    }

    static BenchResult run(String peer) {
        Random random = new Random(42);
        float[][] centres = new float[CLUSTERS][DIMENSION];
        for (float[] centre : centres) {
            for (int j = 0; j < DIMENSION; j++) {
                centre[j] = (float) Math.max(0, random.nextGaussian());
            }
        }
        SearchSettings current = SearchSettings.defaults();
        SearchSettings previous = current.withoutExpansion();
        float[][] queries = new float[QUERIES][];
        for (int i = 0; i < QUERIES; i++) {
            queries[i] = sample(centres[random.nextInt(CLUSTERS)], random);
        }
        try (VectorStore store = ExactVectorStore.inMemory(new StoreSchema(DIMENSION, current.metric(),
                current.transforms(), java.util.Optional.empty(), Map.of()))) {
            for (int start = 0; start < N; start += 10_000) {
                StoreBatch.Builder batch = StoreBatch.builder();
                for (int i = start; i < start + 10_000; i++) {
                    batch.addPut(Integer.toString(i), sample(centres[i % CLUSTERS], random), null);
                }
                store.write(batch.build());
            }
            store.refit();
            List<Double> previousRounds = new ArrayList<>();
            List<Double> currentRounds = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                previousRounds.add(QUERIES / Timing.secondsPerStep(() -> store.search(queries, K), 1, 5));
                currentRounds.add(QUERIES / Timing.secondsPerStep(
                        () -> current.expansion().orElseThrow().search(store, queries, K), 1, 5));
            }
            double previousRate = median(previousRounds);
            double currentRate = median(currentRounds);
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("n", N);
            extra.put("dim", DIMENSION);
            extra.put("k", K);
            extra.put("settings", current.describe());
            extra.put("previous_settings", previous.describe());
            extra.put("previous_default_queries_per_s", previousRate);
            extra.put("cost_ratio", previousRate / currentRate);
            extra.put("rounds_queries_per_s", currentRounds);
            extra.put("rounds_previous_queries_per_s", previousRounds);
            return new BenchResult(NAME, currentRate, "queries/s", peer, PeakMemory.peakRssMib(), extra);
        }
    }

    private static float[] sample(float[] centre, Random random) {
        float[] v = new float[centre.length];
        for (int j = 0; j < v.length; j++) {
            v[j] = (float) Math.max(0, centre[j] + 0.5 * random.nextGaussian());
        }
        return v;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return sorted.get(sorted.size() / 2);
    }
}
