/**
 * The lucene vector store: an approximate HNSW index on disk built on Apache Lucene 9.12
 * ({@link org.cnnkit.retrieval.store.lucene.LuceneVectorStore}). Needs the optional dependency
 * {@code org.apache.lucene:lucene-core} 9.12.x.
 */
package org.cnnkit.retrieval.store.lucene;
