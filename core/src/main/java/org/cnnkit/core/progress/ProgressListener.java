package org.cnnkit.core.progress;

/**
 * Receives progress reports from long operations: decoding a folder, extracting features, training.
 *
 * <p>Calls come from the thread doing the work, at most a few times per second plus once at the end
 * (see {@link ProgressTracker}); an implementation must be quick and must not throw.
 */
@FunctionalInterface
public interface ProgressListener {

    /**
     * Called with the latest state of an operation.
     *
     * @param progress the current snapshot
     */
    void onProgress(Progress progress);

    /** {@return a listener that ignores every report} */
    static ProgressListener none() {
        return progress -> { };
    }
}
