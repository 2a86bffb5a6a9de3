package org.cnnkit.core.runtime;

import org.nd4j.linalg.api.blas.Blas;

/**
 * The runs that want OpenBLAS on one thread ({@link NativeRuntime#runWithOneBlasThread}), counted: OpenBLAS's
 * thread count is one setting for the whole process, so the first run to start sets it to one and the last to end
 * gives back the count from before the first. Runs that overlap (the fine-tuning sequence around the training steps,
 * two trainings in one JVM) then never give the count back while another still runs. Thread-safe.
 */
final class OneBlasThread {

    private final Blas blas;
    private int runs;
    private int countBefore;

    OneBlasThread(Blas blas) {
        this.blas = blas;
    }

    /** A run starts: OpenBLAS goes to one thread if it is the first. */
    synchronized void enter() {
        if (runs++ == 0) {
            countBefore = blas.getMaxThreads();
            blas.setMaxThreads(1);
        }
    }

    /** A run ends: OpenBLAS gets its count back if it was the last. */
    synchronized void exit() {
        if (--runs == 0) {
            blas.setMaxThreads(countBefore);
        }
    }
}
