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
 * @param dimensions for {@link Kind#PCA} and {@link Kind#PCA_WHITENED}, the number of principal components kept
 *     (at most the rank of the collection, clamped when fitted); 0 for the other kinds
 * @param varianceFraction for {@link Kind#PCA_VARIANCE}, the share of the collection's variance the kept leading
 *     components must explain, in (0, 1]; 0 for the other kinds
 */
public record VectorTransform(Kind kind, int dimensions, double varianceFraction) {

    /** The kinds of step. */
    public enum Kind {
        /** Scales each vector to unit Euclidean length (zero vectors stay zero). Needs no fitting. */
        L2_NORMALIZE,
        /** Subtracts the collection's mean vector. */
        CENTER,
        /** Centers, then projects on the leading principal components of the collection. */
        PCA,
        /** As {@link #PCA}, then divides each component by its standard deviation (whitening). */
        PCA_WHITENED,
        /**
         * As {@link #PCA}, keeping as many leading components as it takes to explain a share of the variance:
         * the number adapts to the collection.
         */
        PCA_VARIANCE
    }

    /**
     * Validates the step.
     *
     * @param kind what the step does
     * @param dimensions for {@link Kind#PCA} and {@link Kind#PCA_WHITENED}, the number of principal components kept (at most the rank of the collection, clamped when fitted); 0 for the other kinds
     * @param varianceFraction for {@link Kind#PCA_VARIANCE}, the share of the collection's variance the kept leading components must explain, in (0, 1]; 0 for the other kinds
     * @throws NullPointerException if {@code kind} is null
     * @throws IllegalArgumentException if a PCA step has fewer than 1 dimension, a variance share is outside
     *     (0, 1], or a step has a parameter it does not take
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
        if (kind == Kind.PCA_VARIANCE && !(varianceFraction > 0 && varianceFraction <= 1)) {
            throw new IllegalArgumentException("PCA variance share must be in (0, 1], got " + varianceFraction);
        }
        if (kind != Kind.PCA_VARIANCE && varianceFraction != 0) {
            throw new IllegalArgumentException(kind + " takes no variance share, got " + varianceFraction);
        }
    }

    /**
     * Creates a step without a variance share (every kind but {@link Kind#PCA_VARIANCE}).
     *
     * @param kind what the step does
     * @param dimensions components kept by PCA, 0 for other kinds
     */
    public VectorTransform(Kind kind, int dimensions) {
        this(kind, dimensions, 0);
    }

    /** {@return a step that scales vectors to unit length} */
    public static VectorTransform l2Normalize() {
        return new VectorTransform(Kind.L2_NORMALIZE, 0);
    }

    /** {@return a step that subtracts the collection's mean} */
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

    /**
     * Returns a PCA step (without whitening) keeping the fewest leading components that explain a share of the
     * collection's variance.
     *
     * @param fraction the share, in (0, 1], such as 0.5
     * @return the step
     * @throws IllegalArgumentException if {@code fraction} is outside (0, 1]
     */
    public static VectorTransform pcaVariance(double fraction) {
        return new VectorTransform(Kind.PCA_VARIANCE, 0, fraction);
    }

    /** {@return whether this step learns parameters from the collection} */
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
            case PCA_VARIANCE -> "pca(" + Math.round(varianceFraction * 100) + "% variance)";
        };
    }
}
