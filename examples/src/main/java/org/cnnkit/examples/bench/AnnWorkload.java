package org.cnnkit.examples.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.retrieval.Match;
import org.cnnkit.retrieval.Metric;
import org.cnnkit.retrieval.store.StoreBatch;
import org.cnnkit.retrieval.store.StoreOptions;
import org.cnnkit.retrieval.store.StoreSchema;
import org.cnnkit.retrieval.store.StoreSpec;
import org.cnnkit.retrieval.store.lucene.LuceneVectorStore;

/**
 * {@code ann-300k-128}: the ann peer's workload ({@code ../shared/bench/ann/ann_peer.py}) on the lucene store. Builds
 * the store from the 300,000 base vectors (Euclidean, no transforms, the store's default graph parameters: m 16,
 * beam width 100) in one batch, then merges it into one segment (both counted in {@code build_s}); then runs the
 * 1,000 queries one at a time on one thread at the peer's increasing efforts and reports queries/s at the smallest
 * effort whose recall@10 against the exact ground truth is at least 0.95. One untimed pass of the queries at the
 * first effort warms the JIT first.
 */
final class AnnWorkload {

    static final String NAME = "ann-300k-128";

    private static final int[] EFFORTS = {10, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024};
    private static final int K = 10;

    private AnnWorkload() {
    }

    static BenchResult run(String peer) {
        AnnDataset data = AnnDataset.read();
        int n = data.base().length;
        int d = data.base()[0].length;
        Path folder = temporaryFolder();
        try {
            long start = System.nanoTime();
            StoreSchema schema = new StoreSchema(d, Metric.EUCLIDEAN, List.of(), Optional.empty(), Map.of());
            try (LuceneVectorStore store = LuceneVectorStore.open(new StoreSpec(StoreSpec.Kind.LUCENE,
                    folder.toString()), StoreOptions.builder().optSchemaForNewStore(schema).build())) {
                StoreBatch.Builder batch = StoreBatch.builder();
                for (int i = 0; i < n; i++) {
                    batch.addPut(Integer.toString(i), data.base()[i], null);
                }
                store.write(batch.build());
                store.forceMerge(1);
                double buildSeconds = (System.nanoTime() - start) / 1e9;
                timedPass(store, data, EFFORTS[0]);
                for (int effort : EFFORTS) {
                    double[] qpsAndRecall = timedPass(store, data, effort);
                    if (qpsAndRecall[1] >= 0.95) {
                        Map<String, Object> extra = new LinkedHashMap<>();
                        extra.put("recall_at_10", Math.round(qpsAndRecall[1] * 10_000) / 10_000.0);
                        extra.put("ef", effort);
                        extra.put("build_s", Math.round(buildSeconds * 10) / 10.0);
                        extra.put("n", n);
                        extra.put("dim", d);
                        extra.put("k", K);
                        return new BenchResult(NAME, qpsAndRecall[0], "queries/s", peer, PeakMemory.peakRssMib(),
                                extra);
                    }
                }
                throw new CnnkitException(NAME + ": no effort up to " + EFFORTS[EFFORTS.length - 1]
                        + " reached recall@10 0.95");
            }
        } finally {
            deleteQuietly(folder);
        }
    }

    /** Runs the queries one at a time; returns queries/s and recall@10. */
    private static double[] timedPass(LuceneVectorStore store, AnnDataset data, int effort) {
        float[][] queries = data.queries();
        long start = System.nanoTime();
        @SuppressWarnings("unchecked")
        List<Match>[] found = new List[queries.length];
        for (int q = 0; q < queries.length; q++) {
            found[q] = store.search(new float[][] {queries[q]}, K, effort).get(0);
        }
        double qps = queries.length / ((System.nanoTime() - start) / 1e9);
        double recall = 0;
        for (int q = 0; q < queries.length; q++) {
            Set<Integer> truth = new HashSet<>();
            for (int i = 0; i < K; i++) {
                truth.add(data.truth()[q][i]);
            }
            int hits = 0;
            for (Match m : found[q]) {
                hits += truth.contains(Integer.parseInt(m.id())) ? 1 : 0;
            }
            recall += hits / (double) K;
        }
        return new double[] {qps, recall / queries.length};
    }

    private static Path temporaryFolder() {
        try {
            return Files.createTempDirectory("cnnkit-ann-");
        } catch (IOException e) {
            throw new CnnkitException("cannot make a temporary folder for the lucene store: " + e, e);
        }
    }

    private static void deleteQuietly(Path folder) {
        try (Stream<Path> paths = Files.walk(folder)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary folder left behind is harmless
        }
    }
}
