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
     * @param metric the distance
     * @param transforms the steps, in order (empty for raw vectors)
     * @throws NullPointerException if a field is null
     */
    public SearchSettings {
        Objects.requireNonNull(metric, "metric");
        transforms = List.copyOf(transforms);
    }

    /**
     * Returns the library's default: Euclidean distance after L2 normalisation, PCA keeping the leading components
     * that explain 60% of the collection's variance, and L2 normalisation again ({@code l2 + pca(60% variance) +
     * l2}). Normalising first makes the PCA fit depend on directions, not on feature magnitudes; dropping the
     * low-variance tail removes noise that blurs class structure; the final normalisation makes distances angular.
     * The share adapts the kept dimension to the collection and the extractor (no fixed dimension count).
     *
     * @return the default settings
     */
    public static SearchSettings defaults() {
        return new SearchSettings(Metric.EUCLIDEAN, List.of(VectorTransform.l2Normalize(),
                VectorTransform.pcaVariance(DEFAULT_VARIANCE_SHARE), VectorTransform.l2Normalize()));
    }

    /** The share of variance the default PCA keeps. */
    public static final double DEFAULT_VARIANCE_SHARE = 0.6;

    /** {@return raw Euclidean distances between the vectors as extracted, as the notebook did} */
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

    /** {@return a short description, such as {@code euclidean after center, l2}} */
    public String describe() {
        String steps = transforms.isEmpty() ? "raw vectors"
                : transforms.stream().map(VectorTransform::toString).collect(Collectors.joining(" + "));
        return metric.name().toLowerCase(java.util.Locale.ROOT) + " on " + steps;
    }
}
