package org.cnnkit.zoo;

/**
 * What one epoch of transfer learning achieved.
 *
 * @param epoch the epoch number, from 1
 * @param trainLoss mean cross-entropy of the training batches, each scored as it was trained
 * @param trainAccuracy fraction of training examples classified correctly before their update, or NaN when not
 *     measured (training with the base in the loop)
 * @param validationLoss mean cross-entropy on the validation images after the epoch, or NaN without validation
 * @param validationAccuracy fraction of validation images classified correctly, or NaN without validation
 * @param seconds wall time of the epoch, validation included
 */
public record EpochFigures(int epoch, double trainLoss, double trainAccuracy, double validationLoss,
        double validationAccuracy, double seconds) {

    @Override
    public String toString() {
        return String.format("epoch %d: loss %.4f, accuracy %.4f, validation loss %.4f, validation accuracy %.4f"
                + " (%.1f s)", epoch, trainLoss, trainAccuracy, validationLoss, validationAccuracy, seconds);
    }
}
