package org.cnnkit.retrieval.store;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import org.cnnkit.retrieval.Match;
import org.cnnkit.retrieval.SearchPipeline;

/**
 * A persistent collection of feature vectors under unique string ids, searchable for the k nearest vectors to a
 * query. cnnkit ships three: the exact in-memory store saved to one {@code .cfi} file (a JVM, up to about a million
 * vectors), an approximate HNSW store on disk built on Apache Lucene (one machine, tens of millions), and a PostgreSQL
 * store with the pgvector extension (one catalogue shared by many application servers). All three pass one contract
 * test suite and are named by a {@link StoreSpec}.
 *
 * <h2>Vectors and the search pipeline</h2>
 * Vectors are given as an extractor makes them ({@link StoreSchema#dimension()} values, all finite) and queries the
 * same way. The store applies its fitted {@link SearchPipeline} (the schema's transforms: L2 normalisation,
 * centering, PCA) to both, and measures {@link StoreSchema#metric()} distances after it: {@code ||q - x||} (not
 * squared) for Euclidean, {@code 1 - cos(q, x)} for cosine. A store whose transforms learn from data fits them on
 * the puts of the first non-empty batch it is given and keeps them, persisted with the vectors; {@link #refit()}
 * refits on the whole collection where the store keeps what that needs.
 *
 * <h2>Writes</h2>
 * {@link #write(StoreBatch)} applies a batch all or nothing, and durably: when it returns, the batch survives a crash
 * of the process; when it throws (bad input, a failed disk or connection), nothing of the batch is there. Invalid
 * input (wrong dimension, NaN or infinite value, blank or duplicate id within the batch, a zero vector under the
 * cosine metric) is refused before anything is written, with a {@link org.cnnkit.core.CnnkitException} whose message
 * names the entry and the problem.
 *
 * <h2>Threads</h2>
 * Implementations are safe for many threads. Searches never wait for a write to finish and see either all of a batch
 * or none of it.
 */
public interface VectorStore extends AutoCloseable {

    /** {@return what the store holds: dimension, metric, transforms, extractor identity and properties} */
    StoreSchema schema();

    /**
     * {@return the fitted search pipeline, or empty while the store's transforms still need fitting (no vectors yet)}
     */
    Optional<SearchPipeline> pipeline();

    /** {@return the number of stored vectors} */
    long size();

    /**
     * Returns whether an id is stored.
     *
     * @param id the id
     * @return true if the store holds a vector under it
     */
    boolean contains(String id);

    /**
     * Returns the stamp stored with an entry.
     *
     * @param id the id
     * @return the stamp, or empty if the id is absent or was stored without a stamp
     */
    Optional<String> stamp(String id);

    /**
     * Visits every entry's id and stamp (null for none), in no particular order, without holding all of them in
     * memory at once; used to find new, changed and deleted files when a folder is indexed again.
     *
     * @param visitor receives each id and its stamp
     */
    void forEachEntry(BiConsumer<String, String> visitor);

    /**
     * Applies a batch of puts and removals, all or nothing and durably (see the class description).
     *
     * @param batch the changes
     * @throws org.cnnkit.core.CnnkitException if an entry is invalid (nothing is written) or the write fails (nothing
     *     of the batch is kept); the message names the entry or the cause
     */
    void write(StoreBatch batch);

    /**
     * Finds the k stored vectors nearest to each query.
     *
     * @param queries vectors of {@link StoreSchema#dimension()} finite values, as extracted
     * @param k how many matches per query, at least 1 (fewer come back when the store holds fewer)
     * @return one list per query, in query order, each nearest first
     * @throws org.cnnkit.core.CnnkitException if a query has the wrong dimension or a NaN or infinite value, or k is
     *     below 1
     */
    List<List<Match>> search(float[][] queries, int k);

    /**
     * Finds the k stored vectors nearest to a stored one ("more like this"), the entry itself left out.
     *
     * @param id the stored entry to search with
     * @param k how many matches, at least 1
     * @return the matches, nearest first
     * @throws org.cnnkit.core.CnnkitException if the id is not stored, or k is below 1
     */
    List<Match> searchById(String id, int k);

    /**
     * Finds the k stored vectors nearest to each of several vectors already in the store's search space (after its
     * {@link #pipeline()}, as {@link #spaceVectors} returns them), such as an expanded query
     * ({@link org.cnnkit.retrieval.QueryExpansion}).
     *
     * @param vectors {@link SearchPipeline#outputDimension()} finite values each
     * @param k how many matches per vector, at least 1
     * @return one list per vector, in order, each nearest first (empty lists while the store is empty)
     * @throws org.cnnkit.core.CnnkitException if a vector has the wrong dimension or a non-finite value, or k is
     *     below 1
     */
    List<List<Match>> searchInSpace(float[][] vectors, int k);

    /**
     * Returns stored entries' vectors in the search space (after the store's {@link #pipeline()}), as searches compare
     * them.
     *
     * @param ids the ids
     * @return the vector of each id that is stored (absent ids are left out)
     */
    Map<String, float[]> spaceVectors(Collection<String> ids);

    /**
     * Refits the transforms on the whole collection and re-transforms the stored vectors, where the store keeps what
     * that needs (the exact store keeps the vectors as added). Approximate stores keep the pipeline they fitted on
     * their first batch and return false.
     *
     * @return whether the pipeline was refitted
     */
    boolean refit();

    /** Releases the store's files, connections and memory. Writes already returned are kept. */
    @Override
    void close();
}
