package org.cnnkit.retrieval.store.lucene;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
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
 * One k-nearest search over a point-in-time reader of the store: each segment's HNSW graph is searched directly
 * ({@link LeafReader#searchNearestVectors}, with the effort as the graph's candidate list size, deleted documents
 * skipped), the candidates of all segments are re-ranked by their exact distance computed from the stored float
 * vectors (Lucene's scores are {@code 1 / (1 + d^2)} for Euclidean and {@code (1 + dot) / 2} for dot product, and
 * quantised scores are approximate), and the k nearest get their ids from doc values.
 *
 * <p>Searching the segments directly skips the Query machinery (query rewriting, weights, collectors per segment,
 * a thread hand-off) that a single small query does not need.
 */
final class NearestSearch {

    private final IndexReader reader;
    private final Metric metric;

    /**
     * Prepares searches over a reader.
     *
     * @param reader the point-in-time reader
     * @param metric the store's metric (cosine vectors are stored unit length and compared by dot product)
     */
    NearestSearch(IndexReader reader, Metric metric) {
        this.reader = reader;
        this.metric = metric;
    }

    /**
     * Finds the k nearest stored vectors to a transformed query.
     *
     * @param query the query after the store's pipeline (unit length under cosine)
     * @param k how many matches
     * @param effort candidates gathered per segment, at least k
     * @param rescoreAll whether every candidate is re-ranked by exact distance (quantised graphs), or only the
     *     k best by Lucene's score (float graphs, whose scores already rank exactly)
     * @param excluded a document to leave out (leaf ord, doc), or null
     * @return the matches, nearest first
     * @throws IOException if the index cannot be read
     */
    List<Match> search(float[] query, int k, int effort, boolean rescoreAll, int[] excluded) throws IOException {
        int wanted = Math.max(k, effort) + (excluded == null ? 0 : 1);
        List<Candidate> candidates = new ArrayList<>();
        List<LeafReaderContext> leaves = reader.leaves();
        for (int ord = 0; ord < leaves.size(); ord++) {
            LeafReader leaf = leaves.get(ord).reader();
            TopDocs top = leaf.searchNearestVectors(LuceneVectorStore.VECTOR_FIELD, query, wanted,
                    leaf.getLiveDocs(), Integer.MAX_VALUE);
            for (ScoreDoc hit : top.scoreDocs) {
                if (excluded == null || excluded[0] != ord || excluded[1] != hit.doc) {
                    candidates.add(new Candidate(ord, hit.doc, hit.score));
                }
            }
        }
        if (!rescoreAll && candidates.size() > k) {
            candidates.sort(Comparator.comparingDouble((Candidate c) -> c.score).reversed());
            candidates = new ArrayList<>(candidates.subList(0, k));
        }
        measure(query, candidates);
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
