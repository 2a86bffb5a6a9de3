package org.cnnkit.retrieval;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * How a store compares vectors: the metric, the transform steps applied before it, and optionally a
 * {@link QueryExpansion} that re-ranks every search (saved with the store as a schema property).
 *
 * @param metric the distance
 * @param transforms the steps, in order (empty for raw vectors)
 * @param expansion the query expansion of searches, or empty for single searches
 */
public record SearchSettings(Metric metric, List<VectorTransform> transforms, Optional<QueryExpansion> expansion) {

    /**
     * Validates and copies the settings.
     *
     * @param metric the distance
     * @param transforms the steps, in order (empty for raw vectors)
     * @param expansion the query expansion of searches, or empty for single searches
     * @throws NullPointerException if a field is null
     */
    public SearchSettings {
        Objects.requireNonNull(metric, "metric");
        transforms = List.copyOf(transforms);
        Objects.requireNonNull(expansion, "expansion");
    }

    /**
     * Settings without query expansion.
     *
     * @param metric the distance
     * @param transforms the steps, in order (empty for raw vectors)
     */
    public SearchSettings(Metric metric, List<VectorTransform> transforms) {
        this(metric, transforms, Optional.empty());
    }

    /**
     * Returns these settings with a query expansion.
     *
     * @param queryExpansion the expansion
     * @return the new settings
     */
    public SearchSettings withExpansion(QueryExpansion queryExpansion) {
        return new SearchSettings(metric, transforms, Optional.of(queryExpansion));
    }

    /** {@return these settings without query expansion} */
    public SearchSettings withoutExpansion() {
        return new SearchSettings(metric, transforms, Optional.empty());
    }

    /**
     * Returns the library's default: Euclidean distance after L2 normalisation, PCA keeping the leading components
     * that explain 70% of the collection's variance, and L2 normalisation again ({@code l2 + pca(70% variance) +
     * l2}), searched with {@link QueryExpansion#defaults()}. Normalising first makes the PCA fit depend on directions,
     * not on feature magnitudes; the final normalisation makes distances angular. The two behaviours a user expects
     * are decoupled: the first search and the near-duplicate pinning use the whole 70% space, whose trailing
     * components tell a photo from its copy ("this exact photo" first); the rest of the ranking is an alpha query
     * expansion re-ranking the first search's 30 nearest entries in the leading quarter of the components, where the
     * class structure is ("photos like it"). One search per query. Chosen on Corel-1K under leave-one-out, split
     * halves and the near-duplicate suite (docs/retrieval.md).
     *
     * @return the default settings
     */
    public static SearchSettings defaults() {
        return new SearchSettings(Metric.EUCLIDEAN, List.of(VectorTransform.l2Normalize(),
                VectorTransform.pcaVariance(DEFAULT_VARIANCE_SHARE), VectorTransform.l2Normalize()),
                Optional.of(QueryExpansion.defaults()));
    }

    /** The share of variance the default PCA keeps. */
    public static final double DEFAULT_VARIANCE_SHARE = 0.7;

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

    /** {@return a short description, such as {@code euclidean on l2 + pca(16) + l2, alpha-QE(5, 3) + pin(0.7)}} */
    public String describe() {
        String steps = transforms.isEmpty() ? "raw vectors"
                : transforms.stream().map(VectorTransform::toString).collect(Collectors.joining(" + "));
        return metric.name().toLowerCase(java.util.Locale.ROOT) + " on " + steps
                + expansion.map(e -> ", " + e).orElse("");
    }
}
