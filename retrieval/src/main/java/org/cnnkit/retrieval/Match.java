package org.cnnkit.retrieval;

import java.util.Objects;

/**
 * One answer of a search: the id of an indexed vector and its distance to the query.
 *
 * @param id the id the vector was added with
 * @param distance the distance to the query in the index's {@link Metric}, measured after the index's
 *     transforms; smaller is nearer
 */
public record Match(String id, float distance) {

    /**
     * Validates the match.
     *
     * @param id the id the vector was added with
     * @param distance the distance to the query in the index's {@link Metric}, measured after the index's transforms; smaller is nearer
     * @throws NullPointerException if {@code id} is null
     */
    public Match {
        Objects.requireNonNull(id, "id");
    }
}
