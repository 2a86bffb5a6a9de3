package org.cnnkit.retrieval.store.lucene;

import java.io.IOException;
import java.util.Arrays;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.util.hnsw.HnswGraph;
import org.apache.lucene.util.hnsw.RandomAccessVectorValues;

/**
 * One segment's HNSW graph and float vectors, decoded once into plain arrays on the heap, for {@link GraphSearch}.
 *
 * <p>Lucene keeps a segment's graph on disk with each neighbour list delta-encoded as variable-length integers, and
 * its vectors in a memory-mapped file: a search decodes a neighbour list at every node it visits and copies every
 * vector it measures into a buffer. Decoded here once, a visit reads neighbour ids from an {@code int[]} and
 * measures the vector where it lies. The neighbour lists of the bottom level are one {@code int[]} indexed by an
 * offset per node; the upper levels (about one node in {@code m} on level 1, fewer above) keep their nodes sorted
 * with the same layout. The structure is immutable and shared by all searches of the segment; {@link
 * SegmentGraphCache} makes it when a segment is first searched and drops it when the segment is closed.
 *
 * <p>Its heap cost is {@link #bytes()}: per vector {@code 4 x dimension + 16} bytes, plus 4 bytes per neighbour
 * (up to {@code 2 m} on the bottom level) and 8 bytes per node for the offsets and the document numbers.
 */
final class SegmentGraph {

    /** Per node: where its bottom-level neighbour list starts in {@link #neighbours0} (one more entry at the end). */
    final int[] start0;
    /** The bottom-level neighbour lists of all nodes, one after another. */
    final int[] neighbours0;
    /** The vectors, by node (graph ordinal). */
    final float[][] vectors;
    /** The document of each node. */
    final int[] ordToDoc;
    final int entryNode;

    private final int[][] levelNodes;
    private final int[][] levelStart;
    private final int[][] levelNeighbours;
    private final long bytes;

    private SegmentGraph(int[] start0, int[] neighbours0, float[][] vectors, int[] ordToDoc, int entryNode,
                         int[][] levelNodes, int[][] levelStart, int[][] levelNeighbours) {
        this.start0 = start0;
        this.neighbours0 = neighbours0;
        this.vectors = vectors;
        this.ordToDoc = ordToDoc;
        this.entryNode = entryNode;
        this.levelNodes = levelNodes;
        this.levelStart = levelStart;
        this.levelNeighbours = levelNeighbours;
        long total = 4L * (start0.length + neighbours0.length + ordToDoc.length);
        for (float[] v : vectors) {
            total += 16 + 4L * v.length;
        }
        for (int level = 1; level < levelNodes.length; level++) {
            total += 4L * (levelNodes[level].length + levelStart[level].length + levelNeighbours[level].length);
        }
        this.bytes = total;
    }

    /**
     * Estimates the heap a segment's structure will take before decoding it (the vectors and the bottom level at
     * {@code 2 m} neighbours a node).
     *
     * @param size the segment's vector count
     * @param dimension the vector length
     * @param m the graph's connections per node
     * @return the estimate in bytes
     */
    static long estimateBytes(int size, int dimension, int m) {
        return (long) size * (16 + 4L * dimension + 4L * (2 * m + 3));
    }

    /**
     * Decodes a segment's graph and copies its vectors.
     *
     * @param graph the segment's graph, as Lucene reads it
     * @param vectors the segment's float vectors, by graph ordinal
     * @return the decoded segment
     * @throws IOException if the segment cannot be read
     */
    static SegmentGraph decode(HnswGraph graph, RandomAccessVectorValues.Floats vectors) throws IOException {
        int size = graph.size();
        int[] start0 = new int[size + 1];
        int[] neighbours0 = new int[Math.max(16, size * 8)];
        int used = 0;
        for (int node = 0; node < size; node++) {
            start0[node] = used;
            graph.seek(0, node);
            for (int n = graph.nextNeighbor(); n != DocIdSetIterator.NO_MORE_DOCS; n = graph.nextNeighbor()) {
                if (used == neighbours0.length) {
                    neighbours0 = Arrays.copyOf(neighbours0, neighbours0.length + neighbours0.length / 2);
                }
                neighbours0[used++] = n;
            }
        }
        start0[size] = used;
        int levels = graph.numLevels();
        int[][] levelNodes = new int[levels][];
        int[][] levelStart = new int[levels][];
        int[][] levelNeighbours = new int[levels][];
        for (int level = 1; level < levels; level++) {
            int[] nodes = HnswGraph.NodesIterator.getSortedNodes(graph.getNodesOnLevel(level));
            int[] starts = new int[nodes.length + 1];
            int[] neighbours = new int[Math.max(16, nodes.length * 8)];
            int count = 0;
            for (int i = 0; i < nodes.length; i++) {
                starts[i] = count;
                graph.seek(level, nodes[i]);
                for (int n = graph.nextNeighbor(); n != DocIdSetIterator.NO_MORE_DOCS; n = graph.nextNeighbor()) {
                    if (count == neighbours.length) {
                        neighbours = Arrays.copyOf(neighbours, neighbours.length + neighbours.length / 2);
                    }
                    neighbours[count++] = n;
                }
            }
            starts[nodes.length] = count;
            levelNodes[level] = nodes;
            levelStart[level] = starts;
            levelNeighbours[level] = Arrays.copyOf(neighbours, count);
        }
        float[][] copies = new float[size][];
        int[] docs = new int[size];
        for (int node = 0; node < size; node++) {
            copies[node] = vectors.vectorValue(node).clone();
            docs[node] = vectors.ordToDoc(node);
        }
        return new SegmentGraph(start0, Arrays.copyOf(neighbours0, used), copies, docs, graph.entryNode(),
                levelNodes, levelStart, levelNeighbours);
    }

    /**
     * Returns the number of levels of the graph (the bottom level is 0).
     *
     * @return the level count
     */
    int numLevels() {
        return levelNodes.length;
    }

    /**
     * Returns the neighbour list array of an upper level.
     *
     * @param level a level from 1
     * @return the neighbour lists of that level, one after another
     */
    int[] neighbours(int level) {
        return levelNeighbours[level];
    }

    /**
     * Returns where a node's neighbour list of an upper level starts and ends in {@link #neighbours(int)}.
     *
     * @param level a level from 1
     * @param node a node on that level
     * @return {@code start << 32 | end}
     */
    long range(int level, int node) {
        int i = Arrays.binarySearch(levelNodes[level], node);
        if (i < 0) {
            throw new IllegalStateException("node " + node + " is not on level " + level + " of the graph");
        }
        return ((long) levelStart[level][i] << 32) | levelStart[level][i + 1];
    }

    /**
     * Returns the heap this structure takes.
     *
     * @return bytes, counting array contents and the vectors' array headers
     */
    long bytes() {
        return bytes;
    }
}
