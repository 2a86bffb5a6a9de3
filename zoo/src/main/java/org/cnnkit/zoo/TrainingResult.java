package org.cnnkit.zoo;

import java.util.Objects;
import java.util.Optional;
import org.cnnkit.core.metrics.ClassificationMetrics;

/**
 * What a training run produced: the classifier, the history of its epochs and, when there was validation data,
 * the metrics of the kept weights on it.
 *
 * @param classifier the trained classifier (best weights when early stopping was on)
 * @param history the figures of every epoch
 * @param validation the metrics of {@code classifier} on the validation images, if there were any
 */
public record TrainingResult(ImageClassifier classifier, TrainingHistory history,
                             Optional<ClassificationMetrics> validation) {

    /**
     * Validates the parts.
     *
     * @param classifier the trained classifier (best weights when early stopping was on)
     * @param history the figures of every epoch
     * @param validation the metrics of {@code classifier} on the validation images, if there were any
     * @throws NullPointerException if a part is null
     */
    public TrainingResult {
        Objects.requireNonNull(classifier, "classifier");
        Objects.requireNonNull(history, "history");
        Objects.requireNonNull(validation, "validation");
    }
}
