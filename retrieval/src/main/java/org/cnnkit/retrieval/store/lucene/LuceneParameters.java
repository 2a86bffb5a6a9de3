package org.cnnkit.retrieval.store.lucene;

import java.util.Set;
import org.cnnkit.retrieval.store.StoreOptions;
import org.cnnkit.retrieval.store.StoreSpec;

/**
 * The lucene store's parameters, read from {@link StoreOptions#parameters()}. The graph parameters ({@code m},
 * {@code beam-width}, {@code quantization}) apply to segments written from now on; segments already written keep
 * theirs (Lucene records them per segment).
 *
 * @param m the HNSW graph's maximum connections per node (Lucene's {@code maxConn})
 * @param beamWidth the candidate list size while a node is inserted (hnswlib's {@code ef_construction})
 * @param ef the default search effort: candidates gathered per segment before the k nearest are taken
 * @param quantization the vectors the graph scores
 * @param mergeThreads threads that build one merged segment's graph (also the graph of a batch of 10,000 puts or more)
 * @param ramBufferMb the indexing buffer; a larger one makes fewer, larger segments (fewer merges)
 * @param searchCacheMb the heap for segments decoded for search ({@link SegmentGraph}); 0 searches every segment
 *     where Lucene keeps it
 */
record LuceneParameters(int m, int beamWidth, int ef, Quantization quantization, int mergeThreads, int ramBufferMb,
                        int searchCacheMb) {

    static final Set<String> NAMES = Set.of("m", "beam-width", "ef", "quantization", "merge-threads", "ram-buffer-mb",
            "search-cache-mb");

    static final int DEFAULT_M = 16;
    static final int DEFAULT_BEAM_WIDTH = 100;
    static final int DEFAULT_EF = 64;
    static final int DEFAULT_RAM_BUFFER_MB = 256;

    /**
     * Reads the parameters, with defaults for those not given.
     *
     * @param options the store options
     * @return the parameters
     * @throws org.cnnkit.core.CnnkitException for an unknown parameter or a value out of range, naming it
     */
    static LuceneParameters from(StoreOptions options) {
        options.requireKnownParameters(StoreSpec.Kind.LUCENE, NAMES);
        int cores = Math.max(1, Runtime.getRuntime().availableProcessors());
        return new LuceneParameters(
                options.intParameter("m", DEFAULT_M, 2, 512),
                options.intParameter("beam-width", DEFAULT_BEAM_WIDTH, 1, 3200),
                options.intParameter("ef", DEFAULT_EF, 1, 10_000),
                options.parameter("quantization").map(Quantization::parse).orElse(Quantization.NONE),
                options.intParameter("merge-threads", Math.min(cores, 4), 1, 64),
                options.intParameter("ram-buffer-mb", DEFAULT_RAM_BUFFER_MB, 16, 1900),
                options.intParameter("search-cache-mb", defaultSearchCacheMb(), 0, 1_000_000));
    }

    /** A quarter of the heap the JVM may grow to (a GiB holds about 1.6 million decoded 128-d vectors). */
    static int defaultSearchCacheMb() {
        return (int) Math.min(1_000_000, Runtime.getRuntime().maxMemory() / 4 / (1024 * 1024));
    }
}
