package org.cnnkit.retrieval;

/**
 * Leave-one-out retrieval quality over a labelled collection: each item queries all the others, and a match is
 * relevant when it has the query's label.
 *
 * @param meanAveragePrecision the mean over queries of the average precision of the full ranking (mAP)
 * @param precisionAt1 the mean fraction of relevant matches among the first 1
 * @param precisionAt4 the mean fraction of relevant matches among the first 4
 * @param precisionAt10 the mean fraction of relevant matches among the first 10
 * @param queries the number of queries (items)
 */
public record RetrievalMetrics(double meanAveragePrecision, double precisionAt1, double precisionAt4,
                               double precisionAt10, int queries) {

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "mAP %.3f  P@1 %.3f  P@4 %.3f  P@10 %.3f  (%d queries)",
                meanAveragePrecision, precisionAt1, precisionAt4, precisionAt10, queries);
    }
}
