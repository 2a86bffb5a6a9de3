package org.cnnkit.examples.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cnnkit.retrieval.FeatureIndex;
import org.cnnkit.retrieval.Metric;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code index-query-l2-100k-4096}: exact top-4 by Euclidean distance over 100,000 random vectors of 4096 floats, 64
 * queries a batch, with the library's {@link FeatureIndex} (the peer does {@code |d|^2 - 2 q.d} by one matrix product
 * and a top-k). The index is filled in batches, as a caller indexing a large collection would.
 */
final class IndexQueryWorkload {

    static final String NAME = "index-query-l2-100k-4096";

    private static final int FILL_BATCH = 10_000;

    private IndexQueryWorkload() {
    }

    static BenchResult run(String peer) {
        int n = 100_000;
        int d = 4096;
        int k = 4;
        int queries = 64;
        FeatureIndex index = filledIndex(n, d);
        INDArray q = Nd4j.rand(DataType.FLOAT, queries, d);
        double seconds = Timing.secondsPerStep(() -> index.search(q, k), 1, 5);
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("n", n);
        extra.put("dim", d);
        extra.put("k", k);
        return new BenchResult(NAME, queries / seconds, "queries/s", peer, PeakMemory.peakRssMib(), extra);
    }

    /** An index of {@code n} uniform random vectors of {@code d} floats, ids {@code "0"} to {@code "n-1"}. */
    static FeatureIndex filledIndex(int n, int d) {
        FeatureIndex index = FeatureIndex.builder().setDimension(d).optMetric(Metric.EUCLIDEAN)
                .optInitialCapacity(n).build();
        for (int start = 0; start < n; start += FILL_BATCH) {
            int count = Math.min(FILL_BATCH, n - start);
            List<String> ids = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                ids.add(Integer.toString(start + i));
            }
            index.addAll(ids, Nd4j.rand(DataType.FLOAT, count, d), null);
        }
        return index;
    }
}
