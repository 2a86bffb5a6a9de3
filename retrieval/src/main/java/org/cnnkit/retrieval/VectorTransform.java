package org.cnnkit.retrieval;

/**
 * One step of the transform pipeline a {@link FeatureIndex} applies to every vector it stores and to every
 * query, before measuring distances. Steps that learn from data (centering, PCA) are fitted on the indexed
 * collection (see {@link FeatureIndex#fit()}); their fitted parameters are saved with the index.
 *
 * <p>Create steps with {@link #l2Normalize()}, {@link #center()}, {@link #pca(int)} and
 * {@link #pcaWhitened(int)}.
 *
 * @param kind what the step does
 * @param dimensions for {@link Kind#PCA}, the number of principal components kept (at most the rank of the
 *     collection, clamped when fitted); 0 for the other kinds
 */
public record VectorTransform(Kind kind, int dimensions) {

    /** The kinds of step. */
    public enum Kind {
        /** Scales each vector to unit Euclidean length (zero vectors stay zero). Needs no fitting. */
        L2_NORMALIZE,
        /** Subtracts the collection's mean vector. */
        CENTER,
        /** Centers, then projects on the leading principal components of the collection. */
        PCA,
        /** As {@link #PCA}, then divides each component by its standard deviation (whitening). */
        PCA_WHITENED
    }

    /**
     * Validates the step.
     *
     * @throws NullPointerException if {@code kind} is null
     * @throws IllegalArgumentException if a PCA step has fewer than 1 dimension, or another step has any
     */
    public VectorTransform {
        if (kind == null) {
            throw new NullPointerException("kind");
        }
        boolean pca = kind == Kind.PCA || kind == Kind.PCA_WHITENED;
        if (pca && dimensions < 1) {
            throw new IllegalArgumentException("PCA needs at least 1 dimension, got " + dimensions);
        }
        if (!pca && dimensions != 0) {
            throw new IllegalArgumentException(kind + " takes no dimension count, got " + dimensions);
        }
    }

    /** Returns a step that scales vectors to unit length. */
    public static VectorTransform l2Normalize() {
        return new VectorTransform(Kind.L2_NORMALIZE, 0);
    }

    /** Returns a step that subtracts the collection's mean. */
    public static VectorTransform center() {
        return new VectorTransform(Kind.CENTER, 0);
    }

    /**
     * Returns a PCA step without whitening.
     *
     * @param dimensions components kept, at least 1
     * @return the step
     * @throws IllegalArgumentException if {@code dimensions} is below 1
     */
    public static VectorTransform pca(int dimensions) {
        return new VectorTransform(Kind.PCA, dimensions);
    }

    /**
     * Returns a PCA step with whitening (each component scaled to unit variance).
     *
     * @param dimensions components kept, at least 1
     * @return the step
     * @throws IllegalArgumentException if {@code dimensions} is below 1
     */
    public static VectorTransform pcaWhitened(int dimensions) {
        return new VectorTransform(Kind.PCA_WHITENED, dimensions);
    }

    /** Returns whether this step learns parameters from the collection. */
    public boolean needsFitting() {
        return kind != Kind.L2_NORMALIZE;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case L2_NORMALIZE -> "l2";
            case CENTER -> "center";
            case PCA -> "pca(" + dimensions + ")";
            case PCA_WHITENED -> "pca-whitened(" + dimensions + ")";
        };
    }
}
