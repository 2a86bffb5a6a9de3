package org.cnnkit.examples.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
                AnnSweep.Pass pass = AnnSweep.firstReachingRecall(NAME, "effort", EFFORTS,
                        effort -> timedPass(store, data, effort));
                return new BenchResult(NAME, pass.queriesPerSecond(), "queries/s", peer, PeakMemory.peakRssMib(),
                        AnnSweep.extra(pass, buildSeconds, data));
            }
        } finally {
            deleteQuietly(folder);
        }
    }

    /** Runs the queries one at a time at one effort. */
    private static AnnSweep.Pass timedPass(LuceneVectorStore store, AnnDataset data, int effort) {
        float[][] queries = data.queries();
        long start = System.nanoTime();
        @SuppressWarnings("unchecked")
        List<Match>[] found = new List[queries.length];
        for (int q = 0; q < queries.length; q++) {
            found[q] = store.search(new float[][] {queries[q]}, AnnSweep.K, effort).get(0);
        }
        double qps = queries.length / ((System.nanoTime() - start) / 1e9);
        return new AnnSweep.Pass(effort, qps, AnnSweep.recall(data, found));
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
