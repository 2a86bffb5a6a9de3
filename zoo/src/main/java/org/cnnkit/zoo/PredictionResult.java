package org.cnnkit.zoo;

import java.util.List;
import org.cnnkit.core.image.BatchDecoder;

/**
 * The predictions for a list of image files of which some may be unreadable.
 *
 * @param predictions one prediction per readable file, in the order given
 * @param skipped the files that could not be decoded, with the decoder's message, in the order given
 */
public record PredictionResult(List<Prediction> predictions, List<BatchDecoder.Unreadable> skipped) {

    /**
     * Copies the lists.
     *
     * @param predictions one prediction per readable file, in the order given
     * @param skipped the files that could not be decoded, with the decoder's message, in the order given
     * @throws NullPointerException if a list is null
     */
    public PredictionResult {
        predictions = List.copyOf(predictions);
        skipped = List.copyOf(skipped);
    }
}
