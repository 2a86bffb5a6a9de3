package org.cnnkit.zoo;

import java.util.List;
import java.util.Objects;

/**
 * The course of a training run, epoch by epoch.
 *
 * @param epochs the figures of every epoch trained, in order
 * @param bestEpoch the epoch whose weights the classifier keeps: the one with the lowest validation loss when early
 *     stopping is on, otherwise the last one
 * @param stoppedEarly whether early stopping ended training before the planned number of epochs
 * @param seconds wall time of the whole training
 */
public record TrainingHistory(List<EpochStats> epochs, int bestEpoch, boolean stoppedEarly, double seconds) {

    /**
     * Validates and copies the list.
     *
     * @param epochs the figures of every epoch trained, in order
     * @param bestEpoch the epoch whose weights the classifier keeps: the one with the lowest validation loss when early stopping is on, otherwise the last one
     * @param stoppedEarly whether early stopping ended training before the planned number of epochs
     * @param seconds wall time of the whole training
     * @throws IllegalArgumentException if no epoch was trained or {@code bestEpoch} is not one of them
     */
    public TrainingHistory {
        epochs = List.copyOf(Objects.requireNonNull(epochs, "epochs"));
        if (epochs.isEmpty()) {
            throw new IllegalArgumentException("a training history needs at least one epoch");
        }
        if (bestEpoch < 1 || bestEpoch > epochs.size()) {
            throw new IllegalArgumentException("best epoch " + bestEpoch + " is not among the " + epochs.size()
                    + " epochs trained");
        }
    }

    /** {@return the figures of the last epoch trained} */
    public EpochStats last() {
        return epochs.get(epochs.size() - 1);
    }

    /** {@return the figures of the epoch whose weights were kept} */
    public EpochStats best() {
        return epochs.get(bestEpoch - 1);
    }
}
