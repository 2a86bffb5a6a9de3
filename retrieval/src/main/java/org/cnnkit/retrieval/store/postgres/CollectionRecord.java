package org.cnnkit.retrieval.store.postgres;

import java.util.Objects;
import java.util.Optional;
import org.cnnkit.retrieval.SearchPipeline;
import org.cnnkit.retrieval.store.StoreSchema;

/**
 * A collection's row in the metadata table: its schema, the HNSW build parameters, and, once the first vectors were
 * written, the fitted search pipeline and the column type of the collection's table.
 *
 * @param name the collection (also its table's name)
 * @param formatVersion the format of the row and table, {@link CollectionCatalog#FORMAT_VERSION} or older
 * @param schema what the collection holds
 * @param hnsw the index's {@code m} and {@code ef_construction} (and the default ef-search when read)
 * @param pipeline the fitted pipeline, empty before the first write with vectors
 * @param column the vector column, empty before the first write with vectors (the table does not exist yet)
 */
record CollectionRecord(String name, int formatVersion, StoreSchema schema, HnswSettings hnsw,
                        Optional<SearchPipeline> pipeline, Optional<VectorColumn> column) {

    /**
     * Checks the fields.
     *
     * @throws NullPointerException if a field is null
     */
    CollectionRecord {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(hnsw, "hnsw");
        Objects.requireNonNull(pipeline, "pipeline");
        Objects.requireNonNull(column, "column");
    }

    /** Returns whether the collection's table exists (its first vectors were written). */
    boolean hasTable() {
        return column.isPresent();
    }
}
