package org.cnnkit.examples.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code index-query-l2-100k-4096}: exact top-4 by Euclidean distance over 100,000 vectors of 4096 floats, 64 queries
 * a batch, as the PyTorch peer does it: {@code |d|^2 - 2 q.d} by one matrix product, then the 4 smallest per row.
 */
final class IndexQueryWorkload {

    static final String NAME = "index-query-l2-100k-4096";

    private IndexQueryWorkload() {
    }

    static BenchResult run(String peer) {
        int n = 100_000;
        int d = 4096;
        int k = 4;
        int queries = 64;
        INDArray data = Nd4j.rand(DataType.FLOAT, n, d);
        INDArray norms = data.mul(data).sum(1).reshape(1, n);
        INDArray q = Nd4j.rand(DataType.FLOAT, queries, d);
        INDArray distances = Nd4j.createUninitialized(DataType.FLOAT, queries, n);
        int[][] best = new int[queries][k];
        double seconds = Timing.secondsPerStep(() -> {
            Nd4j.gemm(q, data, distances, false, true, -2.0, 0.0);
            distances.addiRowVector(norms);
            float[] all = distances.data().asFloat();
            for (int i = 0; i < queries; i++) {
                smallest(all, i * n, n, best[i]);
            }
        }, 1, 5);
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("n", n);
        extra.put("dim", d);
        extra.put("k", k);
        return new BenchResult(NAME, queries / seconds, "queries/s", peer, PeakMemory.peakRssMib(), extra);
    }

    /** Fills {@code into} with the indices of the smallest of {@code length} values from {@code offset}, nearest first. */
    static void smallest(float[] row, int offset, int length, int[] into) {
        int k = into.length;
        float[] values = new float[k];
        java.util.Arrays.fill(values, Float.POSITIVE_INFINITY);
        java.util.Arrays.fill(into, -1);
        for (int j = 0; j < length; j++) {
            float v = row[offset + j];
            if (v < values[k - 1]) {
                int p = k - 1;
                while (p > 0 && values[p - 1] > v) {
                    values[p] = values[p - 1];
                    into[p] = into[p - 1];
                    p--;
                }
                values[p] = v;
                into[p] = j;
            }
        }
    }
}
