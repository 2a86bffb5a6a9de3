package org.cnnkit.retrieval;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.runtime.NativeRuntime;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The brute-force part of a search: scores every query against every stored row, {@code bias[row] + alpha * q.x}, by
 * matrix products over blocks of rows, and keeps each query's lowest scores.
 *
 * <p>Blocks are handed out to one worker thread per core, and each worker multiplies with a <em>single-threaded</em>
 * BLAS call (its OpenMP thread count is set to 1 when the thread starts; other threads keep theirs). One
 * multi-threaded call per block, the usual way, synchronises its threads on every block: for 64 queries over
 * 100,000 x 4096 floats on 2 cores it measured 330 ms, against 230-250 ms this way (docs/performance.md). A collection
 * of one block is scanned on the calling thread. Workers stop after 30 s without work, so an idle index holds no
 * thread.
 */
final class ExactScan {

    /** Rows multiplied per call: 4096 rows x 64 queries is a 1 MiB score block per worker. */
    static final int BLOCK_ROWS = 4096;
    private static final long IDLE_SECONDS = 30;

    private final int threads;
    private final ThreadPoolExecutor workers;

    ExactScan() {
        this(Runtime.getRuntime().availableProcessors());
    }

    ExactScan(int threads) {
        this.threads = Math.max(1, threads);
        this.workers = new ThreadPoolExecutor(this.threads, this.threads, IDLE_SECONDS, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), new SingleThreadedBlasThreads());
        this.workers.allowCoreThreadTimeOut(true);
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
            try {
                return scanner.call();
            } catch (Exception e) {
                throw rethrown(e);
            }
        }
        List<Callable<TopSelection[]>> all = new ArrayList<>(tasks);
        for (int t = 0; t < tasks; t++) {
            all.add(scanner);
        }
        List<Future<TopSelection[]>> futures;
        try {
            futures = workers.invokeAll(all);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CnnkitException("search interrupted", e);
        }
        TopSelection[] merged = null;
        for (Future<TopSelection[]> future : futures) {
            TopSelection[] part;
            try {
                part = future.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CnnkitException("search interrupted", e);
            } catch (ExecutionException e) {
                throw rethrown(e.getCause());
            }
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

    private static RuntimeException rethrown(Throwable cause) {
        if (cause instanceof RuntimeException runtime) {
            return runtime;
        }
        if (cause instanceof Error error) {
            throw error;
        }
        return new CnnkitException("search failed: " + cause, cause);
    }

    /** Daemon worker threads whose BLAS calls run on one OpenMP thread each. */
    static final class SingleThreadedBlasThreads implements ThreadFactory {
        private final AtomicInteger created = new AtomicInteger();

        @Override
        public Thread newThread(Runnable work) {
            Thread thread = new Thread(() -> {
                // This thread's setting only (checked in ExactScanTest): BLAS then runs each call on the worker.
                NativeRuntime.runNativeOpsOnCallingThreadOnly();
                work.run();
            }, "cnnkit-index-scan-" + created.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        }
    }
}
