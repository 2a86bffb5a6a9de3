package org.cnnkit.core.progress;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the units of one long operation and forwards {@link Progress} snapshots to a listener,
 * throttled to at most one report per interval (plus the first and the final one).
 *
 * <p>Safe to advance from several worker threads at once.
 */
public final class ProgressTracker {

    private static final Duration DEFAULT_INTERVAL = Duration.ofMillis(250);

    private final String task;
    private final long total;
    private final ProgressListener listener;
    private final long intervalNanos;
    private final long startNanos;
    private final AtomicLong done = new AtomicLong();
    private final AtomicLong lastReportNanos;
    private final AtomicLong lastReportedDone = new AtomicLong(-1);

    private ProgressTracker(String task, long total, ProgressListener listener, Duration interval) {
        this.task = Objects.requireNonNull(task, "task");
        this.total = total;
        this.listener = Objects.requireNonNull(listener, "listener");
        this.intervalNanos = interval.toNanos();
        this.startNanos = System.nanoTime();
        this.lastReportNanos = new AtomicLong(startNanos);
    }

    /**
     * Starts tracking an operation and reports it at 0 done.
     *
     * @param task a short description of the operation
     * @param total units of work in all, or {@code -1} when unknown
     * @param listener where to send snapshots
     * @return the tracker
     * @throws IllegalArgumentException if {@code total} is below {@code -1}
     */
    public static ProgressTracker start(String task, long total, ProgressListener listener) {
        return start(task, total, listener, DEFAULT_INTERVAL);
    }

    /**
     * Starts tracking an operation with a custom report interval and reports it at 0 done.
     *
     * @param task a short description of the operation
     * @param total units of work in all, or {@code -1} when unknown
     * @param listener where to send snapshots
     * @param interval the shortest time between two reports
     * @return the tracker
     * @throws IllegalArgumentException if {@code total} is below {@code -1}
     */
    public static ProgressTracker start(String task, long total, ProgressListener listener, Duration interval) {
        if (total < -1) {
            throw new IllegalArgumentException("total must be -1 (unknown) or at least 0: " + total);
        }
        ProgressTracker tracker = new ProgressTracker(task, total, listener, interval);
        tracker.report(0);
        return tracker;
    }

    /**
     * Adds finished units and reports if the interval has passed since the last report.
     *
     * @param units units just finished, at least 0
     */
    public void advance(long units) {
        long now = done.addAndGet(units);
        long last = lastReportNanos.get();
        long time = System.nanoTime();
        if (time - last >= intervalNanos && lastReportNanos.compareAndSet(last, time)) {
            report(now);
        }
    }

    /**
     * Reports the final state, whatever the interval, unless {@link #advance} has already reported it as finished
     * (all of a known total done): listeners see the end of an operation once. Call once when the operation ends.
     */
    public void finish() {
        lastReportNanos.set(System.nanoTime());
        long units = done.get();
        boolean alreadyReportedFinished = total >= 0 && units >= total && lastReportedDone.get() == units;
        if (!alreadyReportedFinished) {
            report(units);
        }
    }

    /** {@return the units finished so far} */
    public long done() {
        return done.get();
    }

    /** {@return the time since the operation started} */
    public Duration elapsed() {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    private void report(long units) {
        lastReportedDone.set(units);
        listener.onProgress(new Progress(task, units, total, elapsed()));
    }
}
