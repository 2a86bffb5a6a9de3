package org.cnnkit.examples.bench;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.retrieval.Match;

/**
 * The search sweep the ann workloads share ({@link AnnWorkload}, {@link PostgresAnnWorkload}): one untimed warm-up
 * pass at the first effort, then timed passes at increasing efforts until recall@10 against the exact ground truth
 * reaches 0.95; the report keys they have in common.
 */
final class AnnSweep {

    /** The number of neighbours asked for and scored (recall@10). */
    static final int K = 10;

    private static final double TARGET_RECALL = 0.95;

    private AnnSweep() {
    }

    /**
     * One timed pass of all queries at one effort.
     *
     * @param effort the search effort (ef) used
     * @param queriesPerSecond queries answered per second, one at a time on one thread
     * @param recall the mean recall@10
     */
    record Pass(int effort, double queriesPerSecond, double recall) {
    }

    /** Runs all queries one at a time at one effort and scores them. */
    @FunctionalInterface
    interface TimedPass {
        Pass run(int effort);
    }

    /**
     * Warms up with one untimed pass at the first effort, then returns the first timed pass, in the order given,
     * whose recall@10 reaches 0.95.
     *
     * @param workload the workload's name, for the error
     * @param effortName what the effort is called in the error ("effort", "hnsw.ef_search")
     * @throws CnnkitException if no effort reaches that recall
     */
    static Pass firstReachingRecall(String workload, String effortName, int[] efforts, TimedPass pass) {
        pass.run(efforts[0]);
        for (int effort : efforts) {
            Pass timed = pass.run(effort);
            if (timed.recall() >= TARGET_RECALL) {
                return timed;
            }
        }
        throw new CnnkitException(workload + ": no " + effortName + " up to " + efforts[efforts.length - 1]
                + " reached recall@10 " + TARGET_RECALL);
    }

    /** The mean recall@10 of the matches found for each query (ids are base row numbers). */
    static double recall(AnnDataset data, List<Match>[] found) {
        double recall = 0;
        for (int q = 0; q < found.length; q++) {
            Set<Integer> truth = new HashSet<>();
            for (int i = 0; i < K; i++) {
                truth.add(data.truth()[q][i]);
            }
            int hits = 0;
            for (Match m : found[q]) {
                hits += truth.contains(Integer.parseInt(m.id())) ? 1 : 0;
            }
            recall += hits / (double) K;
        }
        return recall / found.length;
    }

    /** The report keys both workloads give, in order: recall_at_10, ef, build_s, n, dim, k. */
    static Map<String, Object> extra(Pass pass, double buildSeconds, AnnDataset data) {
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("recall_at_10", Math.round(pass.recall() * 10_000) / 10_000.0);
        extra.put("ef", pass.effort());
        extra.put("build_s", Math.round(buildSeconds * 10) / 10.0);
        extra.put("n", data.base().length);
        extra.put("dim", data.base()[0].length);
        extra.put("k", K);
        return extra;
    }
}
