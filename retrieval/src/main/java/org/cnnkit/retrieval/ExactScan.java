package org.cnnkit.retrieval;

import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.runtime.NativeWorkers;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The brute-force part of a search: scores every query against every stored row, {@code bias[row] + alpha * q.x}, by
 * matrix products over blocks of rows, and keeps each query's lowest scores.
 *
 * <p>Blocks are handed out to one worker thread per core ({@link NativeWorkers}), and each worker multiplies with a
 * <em>single-threaded</em> BLAS call. One multi-threaded call per block, the usual way, synchronises its threads on
 * every block: for 64 queries over 100,000 x 4096 floats on 2 cores it measured 330 ms, against 230-250 ms this way
 * (docs/performance.md). A collection of one block is scanned on the calling thread. Workers stop after 30 s without
 * work, so an idle index holds no thread.
 */
final class ExactScan {

    /** Rows multiplied per call: 4096 rows x 64 queries is a 1 MiB score block per worker. */
    static final int BLOCK_ROWS = 4096;

    private final int threads;
    private final NativeWorkers workers;

    ExactScan() {
        this(Runtime.getRuntime().availableProcessors());
    }

    ExactScan(int threads) {
        this.threads = Math.max(1, threads);
        this.workers = NativeWorkers.create(this.threads, "cnnkit-index-scan");
    }

    /**
     * Returns, per query, the {@code candidates} rows of {@code space[0, size)} with the lowest scores.
     *
     * @param queries float rows, c order, as many columns as {@code space}
     * @param bias per-row score offset (the squared norms for Euclidean distance), or null
     * @param alpha the factor of the dot product (-2 for Euclidean, -1 for cosine)
     * @throws CnnkitException if the calling thread is interrupted while the workers run
     */
    TopSelection[] scan(INDArray queries, INDArray space, int size, float[] bias, double alpha, int candidates) {
        int blocks = (size + BLOCK_ROWS - 1) / BLOCK_ROWS;
        AtomicInteger nextBlock = new AtomicInteger();
        Callable<TopSelection[]> scanner = () -> scanBlocks(queries, space, size, bias, alpha, candidates, nextBlock);
        int tasks = Math.min(threads, blocks);
        if (tasks <= 1) {
            return scanBlocks(queries, space, size, bias, alpha, candidates, nextBlock);
        }
        TopSelection[] merged = null;
        for (TopSelection[] part : workers.runAll(Collections.nCopies(tasks, scanner), "searching")) {
            if (merged == null) {
                merged = part;
            } else {
                for (int i = 0; i < merged.length; i++) {
                    merged[i].merge(part[i]);
                }
            }
        }
        return merged;
    }

    private static TopSelection[] scanBlocks(INDArray queries, INDArray space, int size, float[] bias, double alpha,
            int candidates, AtomicInteger nextBlock) {
        int q = (int) queries.rows();
        TopSelection[] selections = new TopSelection[q];
        for (int i = 0; i < q; i++) {
            selections[i] = new TopSelection(candidates);
        }
        INDArray fullScores = null;
        float[] values = null;
        for (int block = nextBlock.getAndIncrement(); (long) block * BLOCK_ROWS < size;
                block = nextBlock.getAndIncrement()) {
            int start = block * BLOCK_ROWS;
            int rows = Math.min(BLOCK_ROWS, size - start);
            INDArray scores;
            if (rows == BLOCK_ROWS) {
                if (fullScores == null) {
                    fullScores = Nd4j.createUninitialized(DataType.FLOAT, q, BLOCK_ROWS);
                }
                scores = fullScores;
            } else {
                scores = Nd4j.createUninitialized(DataType.FLOAT, q, rows);
            }
            INDArray rowsOfSpace = space.get(NDArrayIndex.interval(start, start + rows), NDArrayIndex.all());
            Nd4j.gemm(queries, rowsOfSpace, scores, false, true, alpha, 0.0);
            if (values == null) {
                values = new float[q * BLOCK_ROWS];
            }
            // One bulk copy to the heap: reading a direct buffer value by value costs more than the copy.
            scores.data().asNioFloat().get(values, 0, q * rows);
            for (int i = 0; i < q; i++) {
                selections[i].offer(values, i * rows, rows, start, bias);
            }
        }
        return selections;
    }
}
