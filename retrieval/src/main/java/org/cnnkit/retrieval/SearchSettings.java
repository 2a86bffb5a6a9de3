package org.cnnkit.retrieval;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * How an index compares vectors: the metric and the transform steps applied before it.
 *
 * @param metric the distance
 * @param transforms the steps, in order (empty for raw vectors)
 */
public record SearchSettings(Metric metric, List<VectorTransform> transforms) {

    /**
     * Validates and copies the settings.
     *
     * @throws NullPointerException if a field is null
     */
    public SearchSettings {
        Objects.requireNonNull(metric, "metric");
        transforms = List.copyOf(transforms);
    }

    /**
     * Returns the library's default: DEFAULT_PLACEHOLDER
     */
    public static SearchSettings defaults() {
        return new SearchSettings(Metric.EUCLIDEAN, List.of(VectorTransform.center(), VectorTransform.l2Normalize()));
    }

    /** Returns raw Euclidean distances between the vectors as extracted, as the notebook did. */
    public static SearchSettings raw() {
        return new SearchSettings(Metric.EUCLIDEAN, List.of());
    }

    /**
     * Returns settings with the given metric and steps.
     *
     * @param metric the distance
     * @param transforms the steps, in order
     * @return the settings
     */
    public static SearchSettings of(Metric metric, VectorTransform... transforms) {
        return new SearchSettings(metric, List.of(transforms));
    }

    /**
     * Applies these settings to an index builder.
     *
     * @param builder the builder
     * @return the same builder
     */
    public FeatureIndex.Builder applyTo(FeatureIndex.Builder builder) {
        return builder.optMetric(metric).optTransforms(transforms);
    }

    /** Returns a short description, such as {@code euclidean after center, l2}. */
    public String describe() {
        String steps = transforms.isEmpty() ? "raw vectors"
                : transforms.stream().map(VectorTransform::toString).collect(Collectors.joining(" + "));
        return metric.name().toLowerCase(java.util.Locale.ROOT) + " on " + steps;
    }
}
