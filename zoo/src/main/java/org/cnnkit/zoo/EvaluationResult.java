package org.cnnkit.zoo;

import java.util.List;
import java.util.Objects;
import org.cnnkit.core.image.BatchDecoder;
import org.cnnkit.core.metrics.ClassificationMetrics;

/**
 * The metrics of a classifier on labelled image files, and the files left out because they could not be decoded.
 *
 * @param metrics accuracy, confusion matrix and per-class scores over the decoded files
 * @param skipped the files that could not be decoded, with the decoder's message, sorted by file
 */
public record EvaluationResult(ClassificationMetrics metrics, List<BatchDecoder.Unreadable> skipped) {

    /**
     * Validates and copies.
     *
     * @param metrics accuracy, confusion matrix and per-class scores over the decoded files
     * @param skipped the files that could not be decoded, with the decoder's message, sorted by file
     * @throws NullPointerException if a part is null
     */
    public EvaluationResult {
        Objects.requireNonNull(metrics, "metrics");
        skipped = List.copyOf(skipped);
    }
}
