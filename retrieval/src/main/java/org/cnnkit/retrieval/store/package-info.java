/**
 * Vector stores: one API ({@link org.cnnkit.retrieval.store.VectorStore}) over the exact in-memory index file, an
 * approximate Lucene HNSW index on disk and a PostgreSQL + pgvector table, chosen by a
 * {@link org.cnnkit.retrieval.store.StoreSpec}.
 */
package org.cnnkit.retrieval.store;
