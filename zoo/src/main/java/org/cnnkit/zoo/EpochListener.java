package org.cnnkit.zoo;

/**
 * Receives the figures of each training epoch as soon as it ends, for example to print a line or plot a curve.
 * Called on the training thread; it must be quick and must not throw.
 */
@FunctionalInterface
public interface EpochListener {

    /**
     * Called after each epoch, validation included.
     *
     * @param stats the epoch's figures
     * @param epochs the number of epochs planned (training may stop earlier)
     */
    void onEpoch(EpochStats stats, int epochs);

    /** {@return a listener that ignores every epoch} */
    static EpochListener none() {
        return (stats, epochs) -> { };
    }
}
