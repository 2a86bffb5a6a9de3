package org.cnnkit.core.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.cnnkit.core.CnnkitException;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A fixed number of worker threads that share out native work among themselves, each running its native operations
 * single-threaded ({@link NativeRuntime#runNativeOpsOnCallingThreadOnly()}): one multi-threaded native call per
 * piece of work would only add synchronisation between the cores. {@link ParallelInference} and the feature index's
 * search run on such workers.
 *
 * <p>Workers are daemon threads, made when work arrives and ended after 30 s without work, freeing their ND4J
 * workspaces; an idle instance holds no thread and needs no closing. Thread-safe.
 */
public final class NativeWorkers {

    private static final long IDLE_SECONDS = 30;

    private final int threads;
    private final ThreadPoolExecutor pool;

    private NativeWorkers(int threads, String namePrefix) {
        this.threads = Math.max(1, threads);
        AtomicInteger created = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(this.threads, this.threads, IDLE_SECONDS, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), work -> {
                    Thread thread = new Thread(() -> {
                        // This thread's setting only (an OpenMP per-thread value; NativeWorkersTest checks it).
                        NativeRuntime.runNativeOpsOnCallingThreadOnly();
                        try {
                            work.run();
                        } finally {
                            Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread();
                        }
                    }, namePrefix + "-" + created.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        this.pool.allowCoreThreadTimeOut(true);
    }

    /**
     * Prepares {@code threads} workers named {@code namePrefix-1}, {@code namePrefix-2}, ...
     *
     * @param threads how many (at least 1)
     * @param namePrefix the start of the threads' names
     * @return the workers; no thread is started before the first task
     */
    public static NativeWorkers create(int threads, String namePrefix) {
        return new NativeWorkers(threads, namePrefix);
    }

    /** {@return the number of worker threads} */
    public int threads() {
        return threads;
    }

    /**
     * Runs the tasks on the workers and returns their results in task order, once all have finished.
     *
     * @param tasks the work
     * @param what what the tasks do, for the messages ("running inference", "searching")
     * @param <T> the result type
     * @return one result per task
     * @throws CnnkitException if the calling thread is interrupted while waiting, or a task throws a checked exception
     * @throws RuntimeException the first unchecked exception a task threw, as it is
     */
    public <T> List<T> runAll(List<? extends Callable<T>> tasks, String what) {
        List<Future<T>> futures;
        try {
            futures = pool.invokeAll(tasks);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CnnkitException("interrupted while " + what, e);
        }
        List<T> results = new ArrayList<>(futures.size());
        for (Future<T> future : futures) {
            results.add(await(future, what));
        }
        return results;
    }

    /**
     * Runs one task on a worker (with single-threaded native operations) and returns its result.
     *
     * @param task the work
     * @param what what the task does, for the messages
     * @param <T> the result type
     * @return the task's result
     * @throws CnnkitException if the calling thread is interrupted while waiting, or the task throws a checked
     *     exception
     * @throws RuntimeException the task's unchecked exception, as it is
     */
    public <T> T run(Callable<T> task, String what) {
        return await(pool.submit(task), what);
    }

    /**
     * Starts one task on a worker (with single-threaded native operations) without waiting for it; take its result
     * with {@link #await(Future, String)}.
     *
     * @param task the work
     * @param <T> the result type
     * @return the task's future
     */
    public <T> Future<T> submit(Callable<T> task) {
        return pool.submit(task);
    }

    /**
     * Waits for a task's result, rethrowing its unchecked exceptions as they are.
     *
     * @param future the task
     * @param what what the task does, for the messages
     * @param <T> the result type
     * @return the result
     * @throws CnnkitException if the calling thread is interrupted while waiting, or the task threw a checked
     *     exception
     * @throws RuntimeException the task's unchecked exception, as it is
     */
    public static <T> T await(Future<T> future, String what) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CnnkitException("interrupted while " + what, e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new CnnkitException(what + " failed: " + cause, cause);
        }
    }
}
