package org.cnnkit.retrieval.store;

import java.util.HashSet;
import java.util.Set;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.retrieval.Metric;

/**
 * The input checks every {@link VectorStore} runs before it changes anything or searches, so that all stores refuse
 * the same bad input with the same messages: a wrong dimension, a NaN or infinite value, a blank id, an id twice in
 * one batch (or both put and removed), a zero vector under the cosine metric, k below 1.
 */
public final class StoreChecks {

    private StoreChecks() {
    }

    /**
     * Checks a whole batch before anything of it is written.
     *
     * @param schema the store's schema
     * @param batch the batch
     * @throws CnnkitException naming the first invalid entry (its position and id) and the problem
     */
    public static void requireValid(StoreSchema schema, StoreBatch batch) {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < batch.puts().size(); i++) {
            StoreBatch.Entry entry = batch.puts().get(i);
            String what = "entry " + i + " of the batch ('" + entry.id() + "')";
            if (entry.id().isBlank()) {
                throw new CnnkitException("entry " + i + " of the batch has an empty id; nothing of the batch was "
                        + "written");
            }
            if (!seen.add(entry.id())) {
                throw new CnnkitException(what + ": the id appears twice in one batch; nothing of the batch was "
                        + "written");
            }
            requireValidVector(schema, entry.vector(), what + " of the batch, nothing of which was written,");
        }
        for (int i = 0; i < batch.removals().size(); i++) {
            String id = batch.removals().get(i);
            if (id.isBlank()) {
                throw new CnnkitException("removal " + i + " of the batch has an empty id; nothing of the batch "
                        + "was written");
            }
            if (seen.contains(id)) {
                throw new CnnkitException("id '" + id + "' is both put and removed in one batch; nothing of the "
                        + "batch was written");
            }
        }
    }

    /**
     * Checks queries and k before a search.
     *
     * @param schema the store's schema
     * @param queries the queries
     * @param k the number of matches asked for
     * @throws CnnkitException naming the first invalid query and the problem, or if k is below 1
     */
    public static void requireValidQueries(StoreSchema schema, float[][] queries, int k) {
        requireK(k);
        for (int i = 0; i < queries.length; i++) {
            requireValidVector(schema, queries[i], "query " + i);
        }
    }

    /**
     * Checks the number of matches asked for.
     *
     * @param k the number of matches
     * @throws CnnkitException if k is below 1
     */
    public static void requireK(int k) {
        if (k < 1) {
            throw new CnnkitException("k (the number of matches) must be at least 1, got " + k);
        }
    }

    /**
     * Checks one vector against the schema.
     *
     * @param schema the store's schema
     * @param vector the vector
     * @param what names the vector in the message, such as {@code query 3}
     * @throws CnnkitException if it has the wrong length, a NaN or infinite value, or is zero under cosine
     */
    public static void requireValidVector(StoreSchema schema, float[] vector, String what) {
        if (vector == null) {
            throw new CnnkitException(what + " has no vector");
        }
        if (vector.length != schema.dimension()) {
            throw new CnnkitException(what + " has " + vector.length + " values but the store holds "
                    + schema.dimension() + "-d vectors");
        }
        boolean zero = true;
        for (int j = 0; j < vector.length; j++) {
            if (!Float.isFinite(vector[j])) {
                throw new CnnkitException(what + " has a non-finite value (" + vector[j] + ") at position " + j);
            }
            zero &= vector[j] == 0f;
        }
        if (zero && schema.metric() == Metric.COSINE) {
            throw new CnnkitException(what + " is all zeros, which has no direction for the cosine metric");
        }
    }

    /**
     * Checks vectors given in a store's search space ({@link VectorStore#searchInSpace}).
     *
     * @param vectors the vectors
     * @param dimension the search space's dimension
     * @throws CnnkitException if a vector has another dimension or a NaN or infinite value, naming it
     */
    public static void requireSpaceVectors(float[][] vectors, int dimension) {
        for (int i = 0; i < vectors.length; i++) {
            if (vectors[i] == null || vectors[i].length != dimension) {
                throw new CnnkitException("search-space vector " + i + " has "
                        + (vectors[i] == null ? "no" : Integer.toString(vectors[i].length))
                        + " values, the store's search space has " + dimension);
            }
            for (int j = 0; j < dimension; j++) {
                if (!Float.isFinite(vectors[i][j])) {
                    throw new CnnkitException("search-space vector " + i + " has a non-finite value ("
                            + vectors[i][j] + ") at position " + j);
                }
            }
        }
    }
}
