package org.cnnkit.retrieval;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.cnnkit.core.CnnkitException;

/**
 * How often a search with a distorted copy of a collection's image finds that image: first (recall@1) or among the
 * first 4 (recall@4), over all the copies of a {@link NearDuplicateSuite} and per distortion.
 *
 * @param recallAt1 the share of copies whose original came first
 * @param recallAt4 the share of copies whose original came among the first 4
 * @param queries the number of copies
 * @param perDistortion the same, per distortion, in {@link NearDuplicateSuite.Distortion} order
 */
public record NearDuplicateMetrics(double recallAt1, double recallAt4, int queries,
                                   List<DistortionRecall> perDistortion) {

    /** How many matches each copy's search asks for. */
    static final int DEPTH = 4;

    /**
     * Copies the list.
     *
     * @param recallAt1 the share of copies whose original came first
     * @param recallAt4 the share of copies whose original came among the first 4
     * @param queries the number of copies
     * @param perDistortion the same, per distortion
     */
    public NearDuplicateMetrics {
        perDistortion = List.copyOf(perDistortion);
    }

    /**
     * The recall of one distortion.
     *
     * @param distortion the distortion
     * @param recallAt1 the share of its copies whose original came first
     * @param recallAt4 the share of its copies whose original came among the first 4
     * @param queries the number of its copies
     */
    public record DistortionRecall(NearDuplicateSuite.Distortion distortion, double recallAt1, double recallAt4,
                                   int queries) {
    }

    /** Scores the matches of each query (ids are the originals' positions) against the query's original. */
    static NearDuplicateMetrics score(NearDuplicateSuite.Queries queries, List<List<Match>> matches, long size) {
        NearDuplicateSuite.Distortion[] kinds = NearDuplicateSuite.Distortion.values();
        int[] count = new int[kinds.length];
        int[] first = new int[kinds.length];
        int[] top4 = new int[kinds.length];
        for (int q = 0; q < queries.size(); q++) {
            int original = queries.originals()[q];
            if (original < 0 || original >= size) {
                throw new CnnkitException("near-duplicate query " + q + " names item " + original
                        + ", outside the collection of " + size);
            }
            String id = Integer.toString(original);
            int kind = queries.distortions().get(q).ordinal();
            count[kind]++;
            List<Match> found = matches.get(q);
            for (int rank = 0; rank < Math.min(DEPTH, found.size()); rank++) {
                if (found.get(rank).id().equals(id)) {
                    top4[kind]++;
                    if (rank == 0) {
                        first[kind]++;
                    }
                    break;
                }
            }
        }
        List<DistortionRecall> per = new ArrayList<>();
        int total = 0;
        int totalFirst = 0;
        int totalTop4 = 0;
        for (int k = 0; k < kinds.length; k++) {
            if (count[k] > 0) {
                per.add(new DistortionRecall(kinds[k], (double) first[k] / count[k], (double) top4[k] / count[k],
                        count[k]));
            }
            total += count[k];
            totalFirst += first[k];
            totalTop4 += top4[k];
        }
        return new NearDuplicateMetrics(total == 0 ? 0 : (double) totalFirst / total,
                total == 0 ? 0 : (double) totalTop4 / total, total, per);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "near-duplicate recall@1 %.3f  recall@4 %.3f  (%d copies)",
                recallAt1, recallAt4, queries);
    }
}
