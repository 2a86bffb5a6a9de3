package org.cnnkit.retrieval;

import java.util.List;
import java.util.Objects;

/**
 * Leave-one-out retrieval quality over a labelled collection: each item queries all the others, and a match is
 * relevant when it has the query's label.
 *
 * <p>Besides the single figures it carries two curves, the data of a retrieval chart: the mean precision at every rank
 * from 1 to {@link #MAX_RANK}, and the mean interpolated precision-recall curve at {@link #RECALL_LEVELS} evenly spaced
 * recall levels from 0 to 1 (for each query and level, the best precision reached at that recall or beyond, as in
 * TREC's interpolated curves, then the mean over queries). A query whose class has no other item counts with precision
 * 0 everywhere, as its average precision does.
 *
 * @param meanAveragePrecision the mean over queries of the average precision of the full ranking (mAP)
 * @param precisionAt1 the mean fraction of relevant matches among the first 1
 * @param precisionAt4 the mean fraction of relevant matches among the first 4
 * @param precisionAt10 the mean fraction of relevant matches among the first 10
 * @param queries the number of queries (items)
 * @param precisionAtRanks the mean precision at ranks 1 to {@link #MAX_RANK}: element {@code k - 1} is P@k (with
 *     fewer than k other items, the relevant ones found divided by k)
 * @param interpolatedPrecision the mean interpolated precision at the recall levels {@link #recallLevels()}
 */
public record RetrievalMetrics(double meanAveragePrecision, double precisionAt1, double precisionAt4,
                               double precisionAt10, int queries, List<Double> precisionAtRanks,
                               List<Double> interpolatedPrecision) {

    /** The deepest rank whose precision is kept: P@1 to P@20. */
    public static final int MAX_RANK = 20;

    /** The number of recall levels of the precision-recall curve: 0, 0.05, ..., 1. */
    public static final int RECALL_LEVELS = 21;

    /**
     * Validates and copies the curves.
     *
     * @param meanAveragePrecision the mAP
     * @param precisionAt1 the mean P@1
     * @param precisionAt4 the mean P@4
     * @param precisionAt10 the mean P@10
     * @param queries the number of queries
     * @param precisionAtRanks the mean P@1 to P@{@value #MAX_RANK}
     * @param interpolatedPrecision the mean interpolated precision at the {@value #RECALL_LEVELS} recall levels
     * @throws IllegalArgumentException if a curve has the wrong length
     */
    public RetrievalMetrics {
        precisionAtRanks = List.copyOf(Objects.requireNonNull(precisionAtRanks, "precisionAtRanks"));
        interpolatedPrecision = List.copyOf(Objects.requireNonNull(interpolatedPrecision, "interpolatedPrecision"));
        if (precisionAtRanks.size() != MAX_RANK || interpolatedPrecision.size() != RECALL_LEVELS) {
            throw new IllegalArgumentException("expected " + MAX_RANK + " precisions at ranks and " + RECALL_LEVELS
                    + " interpolated precisions, got " + precisionAtRanks.size() + " and "
                    + interpolatedPrecision.size());
        }
    }

    /**
     * Returns the mean precision at a rank.
     *
     * @param k the rank, 1 to {@link #MAX_RANK}
     * @return P@k
     * @throws IndexOutOfBoundsException if k is outside that range
     */
    public double precisionAt(int k) {
        return precisionAtRanks.get(k - 1);
    }

    /** {@return the recall levels of {@link #interpolatedPrecision()}: 0, 0.05, ..., 1} */
    public static List<Double> recallLevels() {
        Double[] levels = new Double[RECALL_LEVELS];
        for (int i = 0; i < RECALL_LEVELS; i++) {
            levels[i] = recallLevel(i);
        }
        return List.of(levels);
    }

    /** Returns recall level {@code i}, {@code i / (RECALL_LEVELS - 1)}. */
    static double recallLevel(int i) {
        return (double) i / (RECALL_LEVELS - 1);
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "mAP %.3f  P@1 %.3f  P@4 %.3f  P@10 %.3f  (%d queries)",
                meanAveragePrecision, precisionAt1, precisionAt4, precisionAt10, queries);
    }
}
