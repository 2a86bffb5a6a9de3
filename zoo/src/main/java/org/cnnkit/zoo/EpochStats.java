package org.cnnkit.zoo;

/**
 * What one training epoch achieved.
 *
 * <p>The training loss and accuracy are averaged over the epoch's batches as they were trained (each batch
 * scored just before its own update, like Keras' running figures); validation figures are computed after the
 * epoch, on images that are never augmented. Without validation data they are {@link Double#NaN}.
 *
 * @param epoch the epoch number, from 1
 * @param trainLoss mean categorical cross-entropy on the training batches
 * @param trainAccuracy fraction of training images classified correctly during the epoch
 * @param validationLoss mean categorical cross-entropy on the validation images, or NaN
 * @param validationAccuracy fraction of validation images classified correctly, or NaN
 * @param seconds wall time of the epoch, validation included
 */
public record EpochStats(int epoch, double trainLoss, double trainAccuracy, double validationLoss,
                         double validationAccuracy, double seconds) {

    /** {@return whether this epoch was validated} */
    public boolean hasValidation() {
        return !Double.isNaN(validationLoss);
    }

    @Override
    public String toString() {
        String text = String.format(java.util.Locale.ROOT, "epoch %d: loss %.4f, accuracy %.4f", epoch, trainLoss,
                trainAccuracy);
        if (hasValidation()) {
            text += String.format(java.util.Locale.ROOT, ", validation loss %.4f, validation accuracy %.4f",
                    validationLoss, validationAccuracy);
        }
        return text + String.format(java.util.Locale.ROOT, " (%.1f s)", seconds);
    }
}
