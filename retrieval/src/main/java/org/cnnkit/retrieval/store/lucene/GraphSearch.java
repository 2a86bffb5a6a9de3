package org.cnnkit.retrieval.store.lucene;

import java.io.IOException;
import java.util.Arrays;
import org.apache.lucene.codecs.KnnVectorsReader;
import org.apache.lucene.codecs.hnsw.HnswGraphProvider;
import org.apache.lucene.codecs.perfield.PerFieldKnnVectorsFormat;
import org.apache.lucene.index.CodecReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.LongHeap;
import org.apache.lucene.util.VectorUtil;
import org.apache.lucene.util.hnsw.HnswGraph;
import org.apache.lucene.util.hnsw.RandomAccessVectorValues;
import org.apache.lucene.util.quantization.QuantizedVectorsReader;

/**
 * Searches one segment's HNSW graph, as Lucene wrote it, for the float vectors nearest to a query, measuring the
 * store's own distance: the squared Euclidean distance, or {@code 1 - q.x} for the unit vectors of a cosine store.
 *
 * <p>It is the search Lucene's {@code HnswGraphSearcher} runs (a greedy descent through the upper levels, then a
 * best-first search of the bottom level keeping the {@code ef} nearest accepted nodes), with the state a search
 * needs kept between searches instead of allocated for each: the visited marks are an {@code int} per node stamped
 * with a search number (no clearing, no growing bit set), and the two heaps are reused. It also returns exact
 * distances, so the candidates need no second pass over their vectors. One instance serves one search at a time;
 * the store keeps a few of them in a pool.
 *
 * <p>It searches a segment either over its {@link SegmentGraph} (neighbour lists and vectors decoded once onto the
 * heap; the bottom level then measures each expanded node's unvisited neighbours four at a time) or, for a segment
 * that does not fit the store's cache, over the graph and vectors as Lucene reads them. Both give the same results.
 *
 * <p>It serves segments whose graph scores float vectors ({@link #floatGraph}); segments of a quantised format are
 * searched through Lucene's own {@code searchNearestVectors}.
 */
final class GraphSearch {

    private int[] visited = new int[0];
    private int searchNumber;
    private final LongHeap candidates = new LongHeap(64);
    private final LongHeap results = new LongHeap(64);
    private int[] batch = new int[64];
    private float[] batchDistances = new float[64];

    /**
     * Returns the graph of a segment's vector field when it is a float HNSW graph this class can search.
     *
     * @param leaf the segment
     * @param field the vector field
     * @return the graph provider, or null (no vectors in this segment, or a quantised or unknown format)
     */
    static HnswGraphProvider floatGraph(LeafReader leaf, String field) {
        if (!(leaf instanceof CodecReader codec) || leaf.getFieldInfos().fieldInfo(field) == null) {
            return null;
        }
        KnnVectorsReader reader = codec.getVectorReader();
        if (reader instanceof PerFieldKnnVectorsFormat.FieldsReader perField) {
            reader = perField.getFieldReader(field);
        }
        if (!(reader instanceof HnswGraphProvider provider)) {
            return null;
        }
        if (reader instanceof QuantizedVectorsReader quantized && quantized.getQuantizationState(field) != null) {
            return null;
        }
        return provider;
    }

    /**
     * Finds the nearest accepted vectors of one segment.
     *
     * @param leaf the segment
     * @param field the vector field
     * @param graphs the segment's graph provider, from {@link #floatGraph}
     * @param query the query after the store's pipeline
     * @param cosine whether distances are {@code 1 - q.x} (unit vectors) rather than squared Euclidean
     * @param ef how many nearest nodes the bottom-level search keeps (at least the k wanted)
     * @param excludedDoc a document to leave out of the results, or -1
     * @param docs receives the documents, nearest first (length at least ef)
     * @param distances receives their distances: squared Euclidean, or {@code 1 - q.x} clamped to [0, 2]
     * @return how many were found
     * @throws IOException if the segment cannot be read
     */
    int search(LeafReader leaf, String field, HnswGraphProvider graphs, float[] query, boolean cosine, int ef,
               int excludedDoc, int[] docs, float[] distances) throws IOException {
        FloatVectorValues values = leaf.getFloatVectorValues(field);
        if (values == null || values.size() == 0 || !(values instanceof RandomAccessVectorValues.Floats vectors)) {
            return 0;
        }
        HnswGraph graph = graphs.getGraph(field);
        if (graph.size() == 0) {
            return 0;
        }
        Bits live = leaf.getLiveDocs();
        int entry = graph.entryNode();
        float entryDistance = distance(query, vectors.vectorValue(entry), cosine);
        for (int level = graph.numLevels() - 1; level >= 1; level--) {
            boolean closer = true;
            while (closer) {
                closer = false;
                graph.seek(level, entry);
                for (int node = graph.nextNeighbor(); node != DocIdSetIterator.NO_MORE_DOCS;
                        node = graph.nextNeighbor()) {
                    float d = distance(query, vectors.vectorValue(node), cosine);
                    if (d < entryDistance) {
                        entryDistance = d;
                        entry = node;
                        closer = true;
                    }
                }
            }
        }
        int mark = nextSearchNumber(graph.size());
        candidates.clear();
        results.clear();
        visited[entry] = mark;
        float worst = offer(pack(entryDistance, entry), vectors.ordToDoc(entry), live, excludedDoc, ef,
                Float.POSITIVE_INFINITY);
        while (candidates.size() > 0) {
            long nearest = candidates.top();
            if (distanceOf(nearest) > worst) {
                break;
            }
            candidates.pop();
            graph.seek(0, (int) nearest);
            for (int node = graph.nextNeighbor(); node != DocIdSetIterator.NO_MORE_DOCS; node = graph.nextNeighbor()) {
                if (visited[node] == mark) {
                    continue;
                }
                visited[node] = mark;
                float d = distance(query, vectors.vectorValue(node), cosine);
                if (d < worst) {
                    worst = offer(pack(d, node), vectors.ordToDoc(node), live, excludedDoc, ef, worst);
                }
            }
        }
        int found = results.size();
        for (int i = found - 1; i >= 0; i--) {
            long packed = Long.MAX_VALUE - results.pop();
            docs[i] = vectors.ordToDoc((int) packed);
            distances[i] = distanceOf(packed);
        }
        return found;
    }

    /**
     * Finds the nearest accepted vectors of one segment from its decoded structure: the same search as {@link
     * #search(LeafReader, String, HnswGraphProvider, float[], boolean, int, int, int[], float[])}, reading
     * neighbour lists and vectors from the heap.
     *
     * @param graph the segment's decoded graph and vectors
     * @param live the segment's live documents, or null when none is deleted
     * @param query the query after the store's pipeline
     * @param cosine whether distances are {@code 1 - q.x} (unit vectors) rather than squared Euclidean
     * @param ef how many nearest nodes the bottom-level search keeps (at least the k wanted)
     * @param excludedDoc a document to leave out of the results, or -1
     * @param docs receives the documents, nearest first (length at least ef)
     * @param distances receives their distances: squared Euclidean, or {@code 1 - q.x} clamped to [0, 2]
     * @return how many were found
     */
    int search(SegmentGraph graph, Bits live, float[] query, boolean cosine, int ef, int excludedDoc, int[] docs,
               float[] distances) {
        float[][] vectors = graph.vectors;
        int[] ordToDoc = graph.ordToDoc;
        int entry = graph.entryNode;
        float entryDistance = distance(query, vectors[entry], cosine);
        for (int level = graph.numLevels() - 1; level >= 1; level--) {
            int[] neighbours = graph.neighbours(level);
            boolean closer = true;
            while (closer) {
                closer = false;
                long range = graph.range(level, entry);
                int end = (int) range;
                for (int i = (int) (range >>> 32); i < end; i++) {
                    int node = neighbours[i];
                    float d = distance(query, vectors[node], cosine);
                    if (d < entryDistance) {
                        entryDistance = d;
                        entry = node;
                        closer = true;
                    }
                }
            }
        }
        int[] start0 = graph.start0;
        int[] neighbours0 = graph.neighbours0;
        int mark = nextSearchNumber(vectors.length);
        int[] seen = visited;
        candidates.clear();
        results.clear();
        seen[entry] = mark;
        float worst = offer(pack(entryDistance, entry), ordToDoc[entry], live, excludedDoc, ef,
                Float.POSITIVE_INFINITY);
        while (candidates.size() > 0) {
            long nearest = candidates.top();
            if (distanceOf(nearest) > worst) {
                break;
            }
            candidates.pop();
            int from = (int) nearest;
            int end = start0[from + 1];
            int count = 0;
            if (batch.length < end - start0[from]) {
                batch = new int[end - start0[from]];
                batchDistances = new float[batch.length];
            }
            for (int i = start0[from]; i < end; i++) {
                int node = neighbours0[i];
                if (seen[node] != mark) {
                    seen[node] = mark;
                    batch[count++] = node;
                }
            }
            distances(query, vectors, batch, count, cosine, batchDistances);
            for (int j = 0; j < count; j++) {
                int node = batch[j];
                float d = batchDistances[j];
                if (d < worst) {
                    worst = offer(pack(d, node), ordToDoc[node], live, excludedDoc, ef, worst);
                }
            }
        }
        int found = results.size();
        for (int i = found - 1; i >= 0; i--) {
            long packed = Long.MAX_VALUE - results.pop();
            docs[i] = ordToDoc[(int) packed];
            distances[i] = distanceOf(packed);
        }
        return found;
    }

    private static boolean accepted(int doc, Bits live, int excludedDoc) {
        return doc != excludedDoc && (live == null || live.get(doc));
    }

    /** Starts a search over a graph of a size: a new number marks its visited nodes. */
    private int nextSearchNumber(int size) {
        if (visited.length < size) {
            visited = new int[Math.max(size, visited.length + visited.length / 2)];
            searchNumber = 0;
        }
        if (searchNumber == Integer.MAX_VALUE) {
            Arrays.fill(visited, 0);
            searchNumber = 0;
        }
        return ++searchNumber;
    }

    /**
     * Measures a query against several vectors, four at a time: one pass over the query reads four vectors side by
     * side, so the memory system fetches four vectors at once instead of one after another (a graph's neighbours lie
     * scattered over the segment, and a search waits on memory more than it computes).
     */
    private static void distances(float[] query, float[][] vectors, int[] nodes, int count, boolean cosine,
                                  float[] out) {
        int j = 0;
        for (; j + 4 <= count; j += 4) {
            float[] a = vectors[nodes[j]];
            float[] b = vectors[nodes[j + 1]];
            float[] c = vectors[nodes[j + 2]];
            float[] e = vectors[nodes[j + 3]];
            float s0 = 0;
            float s1 = 0;
            float s2 = 0;
            float s3 = 0;
            if (cosine) {
                for (int i = 0; i < query.length; i++) {
                    float q = query[i];
                    s0 += q * a[i];
                    s1 += q * b[i];
                    s2 += q * c[i];
                    s3 += q * e[i];
                }
                out[j] = Math.max(0f, Math.min(2f, 1f - s0));
                out[j + 1] = Math.max(0f, Math.min(2f, 1f - s1));
                out[j + 2] = Math.max(0f, Math.min(2f, 1f - s2));
                out[j + 3] = Math.max(0f, Math.min(2f, 1f - s3));
            } else {
                for (int i = 0; i < query.length; i++) {
                    float q = query[i];
                    float d0 = q - a[i];
                    float d1 = q - b[i];
                    float d2 = q - c[i];
                    float d3 = q - e[i];
                    s0 += d0 * d0;
                    s1 += d1 * d1;
                    s2 += d2 * d2;
                    s3 += d3 * d3;
                }
                out[j] = s0;
                out[j + 1] = s1;
                out[j + 2] = s2;
                out[j + 3] = s3;
            }
        }
        for (; j < count; j++) {
            out[j] = distance(query, vectors[nodes[j]], cosine);
        }
    }

    private static float distance(float[] query, float[] stored, boolean cosine) {
        if (cosine) {
            return Math.max(0f, Math.min(2f, 1f - VectorUtil.dotProduct(query, stored)));
        }
        return VectorUtil.squareDistance(query, stored);
    }

    /**
     * Takes a node nearer than the results' worst into the search: a candidate to expand and, when its document is
     * accepted, a result (the farthest dropped beyond {@code ef}).
     *
     * @return the distance a later node must beat: the farthest result's once {@code ef} are held, else {@code worst}
     */
    private float offer(long packed, int doc, Bits live, int excludedDoc, int ef, float worst) {
        candidates.push(packed);
        if (!accepted(doc, live, excludedDoc)) {
            return worst;
        }
        results.push(Long.MAX_VALUE - packed);
        if (results.size() > ef) {
            results.pop();
        }
        return results.size() >= ef ? distanceOf(Long.MAX_VALUE - results.top()) : worst;
    }

    /** A distance (never negative, so its bits order like it) and a node in one long that orders by distance. */
    private static long pack(float distance, int node) {
        return ((long) Float.floatToIntBits(distance) << 32) | node;
    }

    private static float distanceOf(long packed) {
        return Float.intBitsToFloat((int) (packed >>> 32));
    }
}
