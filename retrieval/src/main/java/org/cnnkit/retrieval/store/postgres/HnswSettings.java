package org.cnnkit.retrieval.store.postgres;

import org.cnnkit.core.CnnkitException;
import org.cnnkit.retrieval.store.StoreOptions;

/**
 * The HNSW parameters of a collection: {@code m} (links per node, 2 to 100) and {@code ef-construction} (the build's
 * candidate list, 4 to 1,000 and at least {@code 2 m}) are fixed when the index is built; {@code ef-search} (the
 * search's candidate list, 1 to 1,000) is set per search with {@code SET LOCAL hnsw.ef_search} and raised to k when
 * k is larger.
 *
 * @param m links per node
 * @param efConstruction the candidate list while building
 * @param efSearch the candidate list while searching
 */
record HnswSettings(int m, int efConstruction, int efSearch) {

    /** pgvector's default {@code m}. */
    static final int DEFAULT_M = 16;

    /** pgvector's default {@code ef_construction}. */
    static final int DEFAULT_EF_CONSTRUCTION = 64;

    /** cnnkit's default {@code hnsw.ef_search} (pgvector's is 40). */
    static final int DEFAULT_EF_SEARCH = 100;

    /** pgvector's largest {@code hnsw.ef_search}. */
    static final int MAX_EF_SEARCH = 1_000;

    /**
     * Reads the parameters {@code m}, {@code ef-construction} and {@code ef-search}.
     *
     * @param options the store options
     * @return the settings, defaults for those not given
     * @throws CnnkitException if a value is out of range or ef-construction is below 2 m
     */
    static HnswSettings of(StoreOptions options) {
        int m = options.intParameter("m", DEFAULT_M, 2, 100);
        int efConstruction = options.intParameter("ef-construction", Math.max(DEFAULT_EF_CONSTRUCTION, 2 * m), 4,
                1_000);
        int efSearch = options.intParameter("ef-search", DEFAULT_EF_SEARCH, 1, MAX_EF_SEARCH);
        if (efConstruction < 2 * m) {
            throw new CnnkitException("store parameter ef-construction=" + efConstruction + " must be at least 2 m = "
                    + 2 * m + " (pgvector's rule)");
        }
        return new HnswSettings(m, efConstruction, efSearch);
    }

    /**
     * Returns the {@code hnsw.ef_search} of a search for k matches: {@link #efSearch()}, raised to k, at most
     * {@value #MAX_EF_SEARCH} (beyond it the iterative scan finds the rest).
     *
     * @param k the number of matches
     * @return the candidate list size
     */
    int efSearchFor(int k) {
        return Math.min(MAX_EF_SEARCH, Math.max(efSearch, k));
    }
}
