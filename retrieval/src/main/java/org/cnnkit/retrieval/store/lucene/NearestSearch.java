package org.cnnkit.retrieval.store.lucene;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.lucene.codecs.hnsw.HnswGraphProvider;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.DocValues;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.util.VectorUtil;
import org.cnnkit.retrieval.Match;
import org.cnnkit.retrieval.Metric;

/**
 * One k-nearest search over a point-in-time reader of the store. Each segment is searched on its own and the
 * candidates of all segments are ranked by their exact distance ({@code ||q - x||}, or {@code 1 - q.x} for the unit
 * vectors of a cosine store); the k nearest get their ids from doc values.
 *
 * <p>A segment whose graph scores float vectors (no quantisation) is searched by {@link GraphSearch}, which walks
 * Lucene's graph with reused state and measures the exact distances as it goes: over the segment's
 * {@link SegmentGraph} (decoded once, from the store's {@link SegmentGraphCache}) when it fits in the cache's
 * budget, else over the graph and vectors as Lucene reads them. A quantised segment goes through
 * {@link LeafReader#searchNearestVectors} (with the effort as the graph's candidate list size, deleted documents
 * skipped) and its candidates are re-measured on the stored float vectors: Lucene's scores are
 * {@code 1 / (1 + d^2)} for Euclidean and {@code (1 + dot) / 2} for dot product, and quantised scores are
 * approximate.
 */
final class NearestSearch {

    private final IndexReader reader;
    private final Metric metric;
    private final GraphSearch graphSearch;
    private final SegmentGraphCache decoded;

    /**
     * Prepares searches over a reader.
     *
     * @param reader the point-in-time reader
     * @param metric the store's metric (cosine vectors are stored unit length and compared by dot product)
     * @param graphSearch the reusable state for float graphs, used by one search at a time
     * @param decoded the store's decoded segments
     */
    NearestSearch(IndexReader reader, Metric metric, GraphSearch graphSearch, SegmentGraphCache decoded) {
        this.reader = reader;
        this.metric = metric;
        this.graphSearch = graphSearch;
        this.decoded = decoded;
    }

    /**
     * Finds the k nearest stored vectors to a transformed query.
     *
     * @param query the query after the store's pipeline (unit length under cosine)
     * @param k how many matches
     * @param effort candidates gathered per segment, at least k
     * @param rescoreAll whether every candidate of a quantised segment is re-ranked by exact distance, or only the
     *     k best by Lucene's score
     * @param excluded a document to leave out (leaf ord, doc), or null
     * @return the matches, nearest first
     * @throws IOException if the index cannot be read
     */
    List<Match> search(float[] query, int k, int effort, boolean rescoreAll, int[] excluded) throws IOException {
        int ef = Math.max(k, effort);
        List<Candidate> candidates = new ArrayList<>();
        List<Candidate> unmeasured = new ArrayList<>();
        List<LeafReaderContext> leaves = reader.leaves();
        int[] docs = new int[ef];
        float[] distances = new float[ef];
        for (int ord = 0; ord < leaves.size(); ord++) {
            LeafReader leaf = leaves.get(ord).reader();
            int excludedDoc = excluded != null && excluded[0] == ord ? excluded[1] : -1;
            HnswGraphProvider graph = GraphSearch.floatGraph(leaf, LuceneVectorStore.VECTOR_FIELD);
            if (graph != null) {
                SegmentGraph segment = decoded.get(leaf, LuceneVectorStore.VECTOR_FIELD, graph);
                int found = segment != null
                        ? graphSearch.search(segment, leaf.getLiveDocs(), query, metric == Metric.COSINE, ef,
                                excludedDoc, docs, distances)
                        : graphSearch.search(leaf, LuceneVectorStore.VECTOR_FIELD, graph, query,
                                metric == Metric.COSINE, ef, excludedDoc, docs, distances);
                for (int i = 0; i < Math.min(found, k); i++) {
                    Candidate c = new Candidate(ord, docs[i], Float.NaN);
                    c.distance = metric == Metric.COSINE ? distances[i] : (float) Math.sqrt(distances[i]);
                    candidates.add(c);
                }
                continue;
            }
            TopDocs top = leaf.searchNearestVectors(LuceneVectorStore.VECTOR_FIELD, query,
                    ef + (excludedDoc >= 0 ? 1 : 0), leaf.getLiveDocs(), Integer.MAX_VALUE);
            List<Candidate> fromLeaf = new ArrayList<>();
            for (ScoreDoc hit : top.scoreDocs) {
                if (hit.doc != excludedDoc) {
                    fromLeaf.add(new Candidate(ord, hit.doc, hit.score));
                }
            }
            if (!rescoreAll && fromLeaf.size() > k) {
                fromLeaf.sort(Comparator.comparingDouble((Candidate c) -> c.score).reversed());
                fromLeaf = fromLeaf.subList(0, k);
            }
            unmeasured.addAll(fromLeaf);
        }
        measure(query, unmeasured);
        candidates.addAll(unmeasured);
        candidates.sort(Comparator.comparingDouble((Candidate c) -> c.distance)
                .thenComparingInt(c -> c.leaf).thenComparingInt(c -> c.doc));
        List<Candidate> best = candidates.subList(0, Math.min(k, candidates.size()));
        String[] ids = ids(best);
        List<Match> matches = new ArrayList<>(best.size());
        for (int i = 0; i < best.size(); i++) {
            matches.add(new Match(ids[i], best.get(i).distance));
        }
        return matches;
    }

    /** Sets each candidate's exact distance from its stored vector, reading each segment in document order. */
    private void measure(float[] query, List<Candidate> candidates) throws IOException {
        Candidate[] byDoc = candidates.toArray(new Candidate[0]);
        Arrays.sort(byDoc, Comparator.comparingInt((Candidate c) -> c.leaf).thenComparingInt(c -> c.doc));
        FloatVectorValues values = null;
        int leaf = -1;
        for (Candidate c : byDoc) {
            if (c.leaf != leaf) {
                leaf = c.leaf;
                values = reader.leaves().get(leaf).reader().getFloatVectorValues(LuceneVectorStore.VECTOR_FIELD);
            }
            if (values.docID() != c.doc) {
                values.advance(c.doc);
            }
            c.distance = distance(query, values.vectorValue());
        }
    }

    private float distance(float[] query, float[] stored) {
        if (metric == Metric.COSINE) {
            return Math.max(0f, Math.min(2f, 1f - VectorUtil.dotProduct(query, stored)));
        }
        return (float) Math.sqrt(VectorUtil.squareDistance(query, stored));
    }

    /** Returns the ids of candidates, in their order. */
    private String[] ids(List<Candidate> best) throws IOException {
        Integer[] order = new Integer[best.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> best.get(i).leaf)
                .thenComparingInt(i -> best.get(i).doc));
        String[] ids = new String[best.size()];
        BinaryDocValues values = null;
        int leaf = -1;
        for (int i : order) {
            Candidate c = best.get(i);
            if (c.leaf != leaf) {
                leaf = c.leaf;
                values = DocValues.getBinary(reader.leaves().get(leaf).reader(), LuceneVectorStore.ID_FIELD);
            }
            if (!values.advanceExact(c.doc)) {
                throw new IOException("document " + c.doc + " of segment " + leaf + " has no id");
            }
            ids[i] = values.binaryValue().utf8ToString();
        }
        return ids;
    }

    /** One candidate document: its segment, its number there, Lucene's score and the exact distance. */
    private static final class Candidate {
        final int leaf;
        final int doc;
        final float score;
        float distance;

        Candidate(int leaf, int doc, float score) {
            this.leaf = leaf;
            this.doc = doc;
            this.score = score;
        }
    }
}
