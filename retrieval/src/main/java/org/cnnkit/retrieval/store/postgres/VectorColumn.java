package org.cnnkit.retrieval.store.postgres;

import java.util.Locale;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.retrieval.Metric;

/**
 * The pgvector column type a collection stores its vectors in, chosen from their dimension after the search
 * pipeline: {@code vector(d)} (4-byte floats) up to {@value #MAX_VECTOR} dimensions, {@code halfvec(d)} (2-byte
 * floats) up to {@value #MAX_HALFVEC}: the largest dimensions pgvector's HNSW index takes for each type.
 *
 * @param type the type
 * @param dimension the number of values
 */
record VectorColumn(Type type, int dimension) {

    /** The largest dimension of an HNSW index over {@code vector}. */
    static final int MAX_VECTOR = 2_000;

    /** The largest dimension of an HNSW index over {@code halfvec}. */
    static final int MAX_HALFVEC = 4_000;

    /** The pgvector types a collection uses. */
    enum Type {
        /** 4-byte floats. */
        VECTOR,
        /** 2-byte floats (IEEE half precision). */
        HALFVEC;

        /** Returns the SQL name, such as {@code vector}. */
        String sqlName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Chooses the column for vectors of a dimension.
     *
     * @param dimension the dimension after the transforms
     * @param where names the collection in the message
     * @return {@code vector} up to {@value #MAX_VECTOR} dimensions, {@code halfvec} up to {@value #MAX_HALFVEC}
     * @throws CnnkitException if the dimension is larger: the message says to add a PCA step
     */
    static VectorColumn forDimension(int dimension, String where) {
        if (dimension <= MAX_VECTOR) {
            return new VectorColumn(Type.VECTOR, dimension);
        }
        if (dimension <= MAX_HALFVEC) {
            return new VectorColumn(Type.HALFVEC, dimension);
        }
        throw new CnnkitException(where + " would hold " + dimension + "-d vectors, but pgvector's HNSW index takes "
                + "at most " + MAX_HALFVEC + " dimensions (as halfvec; " + MAX_VECTOR + " as vector): add a PCA "
                + "step to the transforms (for example pca(1024), --pca 1024 on the command line)");
    }

    /**
     * Reads a column from the names stored in the metadata table.
     *
     * @param typeName {@code vector} or {@code halfvec}
     * @param dimension the dimension
     * @return the column
     * @throws CnnkitException if the type name is unknown
     */
    static VectorColumn of(String typeName, int dimension) {
        for (Type type : Type.values()) {
            if (type.sqlName().equals(typeName)) {
                return new VectorColumn(type, dimension);
            }
        }
        throw new CnnkitException("unknown vector column type '" + typeName + "' in the cnnkit metadata table");
    }

    /** Returns the column's SQL type, such as {@code vector(128)}. */
    String sqlType() {
        return type.sqlName() + "(" + dimension + ")";
    }

    /**
     * Returns the operator giving the metric's distance as {@link org.cnnkit.retrieval.store.VectorStore} defines
     * it: {@code <->} is the Euclidean distance (not squared), {@code <=>} is {@code 1 - cos}.
     *
     * @param metric the metric
     * @return the operator
     */
    static String distanceOperator(Metric metric) {
        return metric == Metric.COSINE ? "<=>" : "<->";
    }

    /**
     * Returns the HNSW operator class serving {@link #distanceOperator(Metric)} on this column.
     *
     * @param metric the metric
     * @return for example {@code vector_l2_ops} or {@code halfvec_cosine_ops}
     */
    String operatorClass(Metric metric) {
        return type.sqlName() + (metric == Metric.COSINE ? "_cosine_ops" : "_l2_ops");
    }
}
