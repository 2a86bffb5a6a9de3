/**
 * The PostgreSQL store: {@link org.cnnkit.retrieval.store.postgres.PostgresVectorStore}, a collection of vectors in
 * a table of a PostgreSQL database with the pgvector extension, searched through an HNSW index and shared by every
 * process that connects to the database. Needs the optional dependencies {@code org.postgresql:postgresql} and
 * {@code com.pgvector:pgvector}.
 */
package org.cnnkit.retrieval.store.postgres;
