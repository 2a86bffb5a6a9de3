package org.cnnkit.retrieval;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class ExactScanTest {

    private static int[][] keptRows(TopSelection[] selections) {
        int[][] rows = new int[selections.length][];
        for (int i = 0; i < selections.length; i++) {
            rows[i] = Arrays.copyOf(selections[i].rows(), selections[i].count());
        }
        return rows;
    }

    @Test
    void workersFindTheSameCandidatesAsOneThread() {
        Nd4j.getRandom().setSeed(3);
        int size = 3 * ExactScan.BLOCK_ROWS + 17;
        INDArray space = Nd4j.rand(DataType.FLOAT, size + 5, 12); // spare capacity rows must be ignored
        space.get(NDArrayIndex.interval(size, size + 5), NDArrayIndex.all()).assign(0);
        INDArray queries = Nd4j.rand(DataType.FLOAT, 7, 12);
        float[] norms = space.mul(space).sum(1).data().asFloat();

        TopSelection[] workers = new ExactScan(3).scan(queries, space, size, norms, -2.0, 6);
        TopSelection[] single = new ExactScan(1).scan(queries, space, size, norms, -2.0, 6);

        assertThat(keptRows(workers)).isDeepEqualTo(keptRows(single));
        // The first query's best row, scored by hand, comes first.
        float[] q0 = queries.getRow(0).toFloatVector();
        float best = Float.POSITIVE_INFINITY;
        int bestRow = -1;
        for (int r = 0; r < size; r++) {
            float[] x = space.getRow(r).toFloatVector();
            float score = norms[r];
            for (int j = 0; j < x.length; j++) {
                score -= 2 * q0[j] * x[j];
            }
            if (score < best) {
                best = score;
                bestRow = r;
            }
        }
        assertThat(keptRows(workers)[0][0]).isEqualTo(bestRow);
        assertThat(Arrays.stream(keptRows(workers)).flatMapToInt(Arrays::stream)).allMatch(row -> row < size);
    }
}
