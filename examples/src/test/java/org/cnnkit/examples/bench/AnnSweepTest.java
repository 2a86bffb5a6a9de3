package org.cnnkit.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.retrieval.Match;
import org.junit.jupiter.api.Test;

class AnnSweepTest {

    /** Two queries whose true neighbours are base rows 0..9 and 10..19; two base dimensions, no vectors needed. */
    private static final AnnDataset DATA = new AnnDataset(new float[20][2], new float[2][2], new int[][] {
        {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {10, 11, 12, 13, 14, 15, 16, 17, 18, 19}});

    @Test
    void recallCountsTheTrueNeighboursFoundPerQuery() {
        @SuppressWarnings("unchecked")
        List<Match>[] found = new List[] {matches(0, 10), matches(15, 25)};
        assertThat(AnnSweep.recall(DATA, found)).isEqualTo((1.0 + 0.5) / 2);
    }

    @Test
    void sweepWarmsUpThenStopsAtTheFirstEffortReachingTheRecall() {
        List<Integer> efforts = new ArrayList<>();
        AnnSweep.Pass pass = AnnSweep.firstReachingRecall("w", "effort", new int[] {10, 20, 40, 80}, effort -> {
            efforts.add(effort);
            return new AnnSweep.Pass(effort, 1000.0 / effort, effort >= 40 ? 0.96 : 0.9);
        });
        assertThat(efforts).containsExactly(10, 10, 20, 40);
        assertThat(pass).isEqualTo(new AnnSweep.Pass(40, 25.0, 0.96));
    }

    @Test
    void sweepFailsNamingTheLargestEffortWhenNoneReachesTheRecall() {
        assertThatThrownBy(() -> AnnSweep.firstReachingRecall("ann-x", "hnsw.ef_search", new int[] {10, 20},
                effort -> new AnnSweep.Pass(effort, 1, 0.5)))
                .isInstanceOf(CnnkitException.class)
                .hasMessage("ann-x: no hnsw.ef_search up to 20 reached recall@10 0.95");
    }

    @Test
    void extraGivesTheSharedReportKeysInOrder() {
        assertThat(AnnSweep.extra(new AnnSweep.Pass(48, 900, 0.95678), 12.34, DATA))
                .containsExactly(entry("recall_at_10", 0.9568), entry("ef", 48), entry("build_s", 12.3),
                        entry("n", 20), entry("dim", 2), entry("k", 10));
    }

    private static List<Match> matches(int from, int to) {
        List<Match> matches = new ArrayList<>();
        for (int id = from; id < to; id++) {
            matches.add(new Match(Integer.toString(id), id));
        }
        return matches;
    }

    private static Map.Entry<String, Object> entry(String key, Object value) {
        return Map.entry(key, value);
    }
}
