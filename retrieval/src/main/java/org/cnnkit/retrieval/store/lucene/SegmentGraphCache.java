package org.cnnkit.retrieval.store.lucene;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.lucene.codecs.hnsw.HnswGraphProvider;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.util.hnsw.HnswGraph;
import org.apache.lucene.util.hnsw.RandomAccessVectorValues;

/**
 * The store's decoded segments ({@link SegmentGraph}), keyed by each segment's core cache key: made when a segment
 * is first searched, shared by every reader that holds the segment (deletions change a segment's live documents,
 * not its core), and dropped when Lucene closes the segment's core. The segments decoded together stay under a
 * budget of heap; a segment that would exceed it is searched where Lucene keeps it ({@link GraphSearch}'s other
 * path).
 */
final class SegmentGraphCache {

    private final long budgetBytes;
    private final int m;
    private final Map<IndexReader.CacheKey, SegmentGraph> segments = new ConcurrentHashMap<>();
    private final AtomicLong usedBytes = new AtomicLong();

    /**
     * Makes an empty cache.
     *
     * @param budgetBytes the most heap the decoded segments take together; 0 decodes none
     * @param m the graph's connections per node, for the estimate made before decoding
     */
    SegmentGraphCache(long budgetBytes, int m) {
        this.budgetBytes = budgetBytes;
        this.m = m;
    }

    /**
     * Returns a segment's decoded structure, decoding it on first use when it fits in the budget.
     *
     * @param leaf the segment
     * @param field the vector field
     * @param provider the segment's float graph, from {@link GraphSearch#floatGraph}
     * @return the decoded segment, or null when it has no vectors or does not fit
     * @throws IOException if the segment cannot be read
     */
    SegmentGraph get(LeafReader leaf, String field, HnswGraphProvider provider) throws IOException {
        IndexReader.CacheHelper helper = leaf.getCoreCacheHelper();
        if (helper == null || budgetBytes == 0) {
            return null;
        }
        SegmentGraph cached = segments.get(helper.getKey());
        if (cached != null) {
            return cached;
        }
        FloatVectorValues values = leaf.getFloatVectorValues(field);
        if (values == null || values.size() == 0 || !(values instanceof RandomAccessVectorValues.Floats vectors)) {
            return null;
        }
        long estimate = SegmentGraph.estimateBytes(values.size(), values.dimension(), m);
        if (usedBytes.get() + estimate > budgetBytes) {
            return null;
        }
        synchronized (this) {
            cached = segments.get(helper.getKey());
            if (cached != null) {
                return cached;
            }
            if (usedBytes.get() + estimate > budgetBytes) {
                return null;
            }
            HnswGraph graph = provider.getGraph(field);
            if (graph.size() == 0) {
                return null;
            }
            SegmentGraph decoded = SegmentGraph.decode(graph, vectors);
            segments.put(helper.getKey(), decoded);
            usedBytes.addAndGet(decoded.bytes());
            helper.addClosedListener(key -> {
                SegmentGraph dropped = segments.remove(key);
                if (dropped != null) {
                    usedBytes.addAndGet(-dropped.bytes());
                }
            });
            return decoded;
        }
    }

    /**
     * Returns the heap the decoded segments take now.
     *
     * @return bytes
     */
    long usedBytes() {
        return usedBytes.get();
    }

    /**
     * Returns how many segments are decoded now.
     *
     * @return the count
     */
    int size() {
        return segments.size();
    }
}
