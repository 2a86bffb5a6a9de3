package org.cnnkit.core.progress;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A snapshot of a long operation's progress: what it is doing, how far it is, and how fast it goes.
 *
 * @param task a short description of the operation, such as {@code "decoding train/"} or {@code "epoch 3/10"}
 * @param done units of work finished so far (images, batches, queries), never negative
 * @param total units of work in all, or {@code -1} when unknown
 * @param elapsed time since the operation started
 */
public record Progress(String task, long done, long total, Duration elapsed) {

    /**
     * Validates the snapshot.
     *
     * @param task a short description of the operation, such as {@code "decoding train/"} or {@code "epoch 3/10"}
     * @param done units of work finished so far (images, batches, queries), never negative
     * @param total units of work in all, or {@code -1} when unknown
     * @param elapsed time since the operation started
     * @throws NullPointerException if {@code task} or {@code elapsed} is null
     * @throws IllegalArgumentException if {@code done} is negative or {@code total} is below {@code -1}
     */
    public Progress {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(elapsed, "elapsed");
        if (done < 0) {
            throw new IllegalArgumentException("done must not be negative: " + done);
        }
        if (total < -1) {
            throw new IllegalArgumentException("total must be -1 (unknown) or at least 0: " + total);
        }
    }

    /** {@return whether the total amount of work is known} */
    public boolean totalKnown() {
        return total >= 0;
    }

    /** {@return the finished fraction in [0, 1], or 0 when the total is unknown or zero} */
    public double fraction() {
        if (total <= 0) {
            return total == 0 ? 1.0 : 0.0;
        }
        return Math.min(1.0, (double) done / total);
    }

    /** {@return the average rate so far, in units per second (0 before any time has passed)} */
    public double ratePerSecond() {
        double seconds = elapsed.toNanos() / 1e9;
        return seconds > 0 ? done / seconds : 0.0;
    }

    /** {@return the estimated time to finish at the average rate so far, if it can be estimated} */
    public Optional<Duration> eta() {
        double rate = ratePerSecond();
        if (!totalKnown() || rate <= 0) {
            return Optional.empty();
        }
        long remaining = Math.max(0, total - done);
        return Optional.of(Duration.ofNanos((long) (remaining / rate * 1e9)));
    }

    /** {@return whether all the work is done} */
    public boolean finished() {
        return totalKnown() && done >= total;
    }
}
