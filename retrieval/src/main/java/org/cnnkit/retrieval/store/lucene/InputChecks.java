package org.cnnkit.retrieval.store.lucene;

import java.util.HashSet;
import java.util.Set;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.retrieval.Metric;
import org.cnnkit.retrieval.store.StoreBatch;
import org.cnnkit.retrieval.store.StoreSchema;

/** Refuses bad batches and queries before the lucene store touches its index, naming the entry and the problem. */
final class InputChecks {

    private InputChecks() {
    }

    /**
     * Checks every entry of a batch.
     *
     * @param batch the batch
     * @param schema the store's schema
     * @throws CnnkitException for a blank or repeated id, a vector of the wrong dimension, a NaN or infinite value,
     *     or a zero vector under the cosine metric
     */
    static void checkBatch(StoreBatch batch, StoreSchema schema) {
        Set<String> seen = new HashSet<>();
        for (StoreBatch.Entry entry : batch.puts()) {
            String id = entry.id();
            if (id.isBlank()) {
                throw new CnnkitException("store batch: an entry has an empty id");
            }
            if (!seen.add(id)) {
                throw new CnnkitException("store batch: the id '" + id + "' comes twice");
            }
            checkVector(entry.vector(), schema, "entry '" + id + "'");
        }
        for (String id : batch.removals()) {
            if (id.isBlank()) {
                throw new CnnkitException("store batch: a removal has an empty id");
            }
        }
    }

    /**
     * Checks queries and k.
     *
     * @param queries the query vectors
     * @param k the matches wanted per query
     * @param schema the store's schema
     * @throws CnnkitException for k below 1 or a bad query vector, naming the query
     */
    static void checkQueries(float[][] queries, int k, StoreSchema schema) {
        if (k < 1) {
            throw new CnnkitException("k must be at least 1, got " + k);
        }
        for (int i = 0; i < queries.length; i++) {
            checkVector(queries[i], schema, "query " + i);
        }
    }

    private static void checkVector(float[] vector, StoreSchema schema, String what) {
        if (vector.length != schema.dimension()) {
            throw new CnnkitException(what + " has " + vector.length + " values; the store holds "
                    + schema.dimension() + "-d vectors");
        }
        boolean zero = true;
        for (int j = 0; j < vector.length; j++) {
            float v = vector[j];
            if (!Float.isFinite(v)) {
                throw new CnnkitException(what + " has the value " + v + " at position " + j
                        + "; vectors must be finite");
            }
            zero &= v == 0f;
        }
        if (zero && schema.metric() == Metric.COSINE) {
            throw new CnnkitException(what + " is a zero vector, which has no direction: the cosine metric "
                    + "cannot measure it");
        }
    }
}
