package org.cnnkit.examples.bench;

/** Times a step like the PyTorch peer's {@code timed}: warm-up runs, then the mean over timed runs. */
final class Timing {

    private Timing() {
    }

    /** One unit of work to time. */
    @FunctionalInterface
    interface Step {
        /** Runs the work once. */
        void run();
    }

    /**
     * Runs {@code warmup} untimed steps, then {@code iterations} timed ones.
     *
     * @return the mean seconds per timed step
     */
    static double secondsPerStep(Step step, int warmup, int iterations) {
        for (int i = 0; i < warmup; i++) {
            step.run();
        }
        long start = System.nanoTime();
        for (int i = 0; i < iterations; i++) {
            step.run();
        }
        return (System.nanoTime() - start) / 1e9 / iterations;
    }
}
