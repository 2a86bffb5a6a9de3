package org.cnnkit.zoo;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.cnnkit.core.data.ImageDataSetIterator;
import org.cnnkit.core.image.BatchDecoder;
import org.cnnkit.core.metrics.ClassificationMetrics;

/**
 * What a training run produced: the classifier, the history of its epochs, when there was validation data the
 * metrics of the kept weights on it, and the image files left out because they could not be decoded.
 *
 * @param classifier the trained classifier (best weights when early stopping was on)
 * @param history the figures of every epoch
 * @param validation the metrics of {@code classifier} on the validation images, if there were any
 * @param skipped the training and validation files that could not be decoded, with the decoder's message, sorted
 *     by file (empty when training ran on batches rather than files)
 */
public record TrainingResult(ImageClassifier classifier, TrainingHistory history,
                             Optional<ClassificationMetrics> validation, List<BatchDecoder.Unreadable> skipped) {

    /**
     * Validates the parts and copies the list.
     *
     * @param classifier the trained classifier (best weights when early stopping was on)
     * @param history the figures of every epoch
     * @param validation the metrics of {@code classifier} on the validation images, if there were any
     * @param skipped the training and validation files that could not be decoded, with the decoder's message, sorted
     *     by file (empty when training ran on batches rather than files)
     * @throws NullPointerException if a part is null
     */
    public TrainingResult {
        Objects.requireNonNull(classifier, "classifier");
        Objects.requireNonNull(history, "history");
        Objects.requireNonNull(validation, "validation");
        skipped = List.copyOf(skipped);
    }

    /**
     * A result without skipped files.
     *
     * @param classifier the trained classifier
     * @param history the figures of every epoch
     * @param validation the metrics on the validation images, if there were any
     */
    public TrainingResult(ImageClassifier classifier, TrainingHistory history,
                          Optional<ClassificationMetrics> validation) {
        this(classifier, history, validation, List.of());
    }

    /** This result with the files the training and (if not null) validation iterators skipped. */
    TrainingResult withSkippedOf(ImageDataSetIterator train, ImageDataSetIterator validationImages) {
        List<BatchDecoder.Unreadable> all = new ArrayList<>(train.skipped());
        if (validationImages != null) {
            all.addAll(validationImages.skipped());
        }
        all.sort(Comparator.comparing(BatchDecoder.Unreadable::file));
        return new TrainingResult(classifier, history, validation, all);
    }
}
