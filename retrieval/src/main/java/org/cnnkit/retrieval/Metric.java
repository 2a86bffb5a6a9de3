package org.cnnkit.retrieval;

/**
 * How a {@link FeatureIndex} measures the distance between two vectors (after its transforms).
 */
public enum Metric {

    /**
     * Euclidean distance {@code ||q - x||}: the true distance, not its square. The default, as in the
     * notebook this library replaces.
     */
    EUCLIDEAN,

    /**
     * Cosine distance {@code 1 - cos(q, x)}, in [0, 2]: 0 for vectors pointing the same way. Zero vectors
     * are refused by the index, since they have no direction.
     */
    COSINE
}
