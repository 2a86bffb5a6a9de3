package org.cnnkit.retrieval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Random;
import org.cnnkit.core.CnnkitException;
import org.junit.jupiter.api.Test;

class RetrievalEvaluationTest {

    @Test
    void handComputedRankingGivesKnownScores() {
        float[][] vectors = {{0f}, {1f}, {1.4f}, {5f}};
        int[] labels = {0, 0, 1, 1};
        RetrievalMetrics metrics = RetrievalEvaluation.evaluate(vectors, labels, SearchSettings.raw());
        // Query 0: A first (AP 1); query 1: B then A (AP 1/2); query 2: A, A, B (AP 1/3); query 3: B first (AP 1).
        assertThat(metrics.meanAveragePrecision()).isCloseTo((1 + 0.5 + 1.0 / 3 + 1) / 4, within(1e-6));
        assertThat(metrics.precisionAt1()).isCloseTo(0.5, within(1e-9));
        assertThat(metrics.precisionAt4()).isCloseTo(0.25, within(1e-9));
        assertThat(metrics.precisionAt10()).isCloseTo(0.1, within(1e-9));
        assertThat(metrics.queries()).isEqualTo(4);
    }

    @Test
    void precisionAtRanksAndInterpolatedCurveOfAHandComputedRanking() {
        float[][] vectors = {{0f}, {1f}, {1.4f}, {5f}};
        int[] labels = {0, 0, 1, 1};
        RetrievalMetrics metrics = RetrievalEvaluation.evaluate(vectors, labels, SearchSettings.raw());
        // Each query has one relevant item, found at rank 1, 2, 3 and 1: P@2 = (1/2 + 1/2 + 0 + 1/2) / 4, P@k = 1/k
        // from k = 3 on; the interpolated precision is the reciprocal rank at every recall level.
        assertThat(metrics.precisionAtRanks()).hasSize(RetrievalMetrics.MAX_RANK);
        assertThat(metrics.precisionAt(1)).isCloseTo(0.5, within(1e-9));
        assertThat(metrics.precisionAt(2)).isCloseTo(0.375, within(1e-9));
        assertThat(metrics.precisionAt(3)).isCloseTo(1.0 / 3, within(1e-9));
        assertThat(metrics.precisionAt(20)).isCloseTo(1.0 / 20, within(1e-9));
        assertThat(metrics.interpolatedPrecision()).hasSize(RetrievalMetrics.RECALL_LEVELS)
                .allSatisfy(p -> assertThat(p).isCloseTo(metrics.meanAveragePrecision(), within(1e-9)));
    }

    @Test
    void interpolatedPrecisionIsTheBestPrecisionAtOrBeyondEachRecallLevel() {
        // Class 0 has three items: for queries 0 and 1 the other two come at ranks 1 and 3 (precision 1 at recall
        // 0.5, 2/3 at recall 1); for query 3 at ranks 2 and 3 (1/2, then 2/3). Query 2 is alone in its class: 0.
        float[][] vectors = {{0f}, {1f}, {2f}, {10f}};
        int[] labels = {0, 0, 1, 0};
        RetrievalMetrics metrics = RetrievalEvaluation.evaluate(vectors, labels, SearchSettings.raw());
        assertThat(metrics.meanAveragePrecision()).isCloseTo(27.0 / 48, within(1e-9));
        java.util.List<Double> levels = RetrievalMetrics.recallLevels();
        for (int i = 0; i < levels.size(); i++) {
            double expected = levels.get(i) <= 0.5 + 1e-9 ? 2.0 / 3 : 0.5;
            assertThat(metrics.interpolatedPrecision().get(i)).as("recall %s", levels.get(i))
                    .isCloseTo(expected, within(1e-9));
        }
        assertThat(levels.get(0)).isEqualTo(0.0);
        assertThat(levels.get(levels.size() - 1)).isEqualTo(1.0);
    }

    @Test
    void splitHalvesQueriesEachHalfWithTheOther() {
        // Halves: items 0 and 2 (first of each class), items 1 and 3. Item 1 (3.0) ranks 2 (1.0) before 0 (0.0):
        // AP 1/2; item 3 finds 2 first: AP 1; item 0 finds 1 first: AP 1; item 2 (1.0) ranks 1 (3.0) before 3: AP 1/2.
        float[][] vectors = {{0f}, {3f}, {1f}, {4f}};
        int[] labels = {0, 0, 1, 1};
        RetrievalMetrics metrics = RetrievalEvaluation.evaluateHalves(vectors, labels, SearchSettings.raw());
        assertThat(metrics.meanAveragePrecision()).isCloseTo(0.75, within(1e-9));
        assertThat(metrics.precisionAt1()).isCloseTo(0.5, within(1e-9));
        assertThat(metrics.queries()).isEqualTo(4);
        assertThat(RetrievalEvaluation.halves(new int[] {0, 0, 1, 0, 1})).containsExactly(true, false, true, true, false);
        assertThatThrownBy(() -> RetrievalEvaluation.evaluateHalves(new float[][] {{0f}, {1f}}, new int[] {0, 1},
                SearchSettings.raw())).isInstanceOf(CnnkitException.class).hasMessageContaining("at least 4");
    }

    @Test
    void nearDuplicateRecallCountsTheOriginalAtRankOneAndWithinFour() {
        float[][] vectors = new float[10][];
        for (int i = 0; i < vectors.length; i++) {
            vectors[i] = new float[] {i, 0f};
        }
        // A copy of 3 nearest to 3; a copy of 5 nearest to 6 but with 5 second; a copy of 0 far away (at 9).
        float[][] copies = {{3.1f, 0f}, {5.6f, 0f}, {9f, 0f}};
        NearDuplicateSuite.Queries queries = new NearDuplicateSuite.Queries(copies, new int[] {3, 5, 0},
                List.of(NearDuplicateSuite.Distortion.CROP, NearDuplicateSuite.Distortion.JPEG,
                        NearDuplicateSuite.Distortion.JPEG));
        NearDuplicateMetrics metrics = RetrievalEvaluation.nearDuplicates(vectors, queries, SearchSettings.raw());
        assertThat(metrics.recallAt1()).isCloseTo(1.0 / 3, within(1e-9));
        assertThat(metrics.recallAt4()).isCloseTo(2.0 / 3, within(1e-9));
        assertThat(metrics.queries()).isEqualTo(3);
        assertThat(metrics.perDistortion()).extracting(NearDuplicateMetrics.DistortionRecall::distortion)
                .containsExactly(NearDuplicateSuite.Distortion.CROP, NearDuplicateSuite.Distortion.JPEG);
        assertThat(metrics.perDistortion().get(1).recallAt1()).isZero();
        assertThat(metrics.perDistortion().get(1).recallAt4()).isCloseTo(0.5, within(1e-9));
    }

    @Test
    void theDefaultExpansionKeepsSeparatedClustersPerfectAndPinsNearCopies() {
        Random random = new Random(8);
        float[][] vectors = new float[48][8];
        int[] labels = new int[vectors.length];
        for (int i = 0; i < vectors.length; i++) {
            labels[i] = i % 4;
            for (int j = 0; j < 8; j++) {
                vectors[i][j] = (j == labels[i] ? 10f : 0f) + (float) random.nextGaussian();
            }
        }
        SearchSettings settings = SearchSettings.defaults();
        assertThat(settings.expansion()).contains(QueryExpansion.defaults());
        assertThat(RetrievalEvaluation.evaluate(vectors, labels, settings).meanAveragePrecision()).isEqualTo(1.0);
        assertThat(RetrievalEvaluation.evaluateHalves(vectors, labels, settings).meanAveragePrecision()).isEqualTo(1.0);
        float[][] copies = new float[vectors.length][];
        int[] originals = new int[vectors.length];
        for (int i = 0; i < vectors.length; i++) {
            copies[i] = vectors[i].clone();
            copies[i][7] += 0.002f;
            originals[i] = i;
        }
        NearDuplicateSuite.Queries queries = new NearDuplicateSuite.Queries(copies, originals,
                java.util.Collections.nCopies(vectors.length, NearDuplicateSuite.Distortion.COMBINED));
        assertThat(RetrievalEvaluation.nearDuplicates(vectors, queries, settings).recallAt1()).isEqualTo(1.0);
    }

    @Test
    void separatedClustersScorePerfectly() {
        Random random = new Random(3);
        int classes = 4;
        int perClass = 12;
        float[][] vectors = new float[classes * perClass][8];
        int[] labels = new int[vectors.length];
        for (int i = 0; i < vectors.length; i++) {
            labels[i] = i % classes;
            for (int j = 0; j < 8; j++) {
                vectors[i][j] = (j == labels[i] ? 10f : 0f) + (float) random.nextGaussian() * 0.1f;
            }
        }
        RetrievalMetrics metrics = RetrievalEvaluation.evaluate(vectors, labels, SearchSettings.defaults());
        assertThat(metrics.meanAveragePrecision()).isEqualTo(1.0);
        assertThat(metrics.precisionAt1()).isEqualTo(1.0);
        assertThat(metrics.precisionAt4()).isEqualTo(1.0);
        assertThat(metrics.precisionAt10()).isEqualTo(1.0);
        assertThat(metrics.interpolatedPrecision()).containsOnly(1.0);
        // 11 other items of each class: P@k is 1 up to k = 11, then 11/k.
        assertThat(metrics.precisionAt(11)).isEqualTo(1.0);
        assertThat(metrics.precisionAt(20)).isCloseTo(11.0 / 20, within(1e-9));
    }

    @Test
    void settingsChangeTheRankingThatIsScored() {
        // Two directions, each at two very different lengths: direction is the class.
        float[][] vectors = {{1, 0}, {10, 0.5f}, {0, 1}, {0.5f, 10}};
        int[] labels = {0, 0, 1, 1};
        RetrievalMetrics euclidean = RetrievalEvaluation.evaluate(vectors, labels, SearchSettings.raw());
        RetrievalMetrics cosine = RetrievalEvaluation.evaluate(vectors, labels, SearchSettings.of(Metric.COSINE));
        RetrievalMetrics l2 = RetrievalEvaluation.evaluate(vectors, labels,
                SearchSettings.of(Metric.EUCLIDEAN, VectorTransform.l2Normalize()));
        assertThat(euclidean.precisionAt1()).isEqualTo(0.5);
        assertThat(cosine.precisionAt1()).isEqualTo(1.0);
        assertThat(cosine.meanAveragePrecision()).isEqualTo(1.0);
        assertThat(l2).isEqualTo(cosine);
    }

    @Test
    void tooFewItemsOrMismatchedLabelsAreRefused() {
        assertThatThrownBy(() -> RetrievalEvaluation.evaluate(new float[][] {{1}}, new int[] {0}, SearchSettings.raw()))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("at least 2");
        assertThatThrownBy(() -> RetrievalEvaluation.evaluate(new float[][] {{1}, {2}}, new int[] {0}, SearchSettings.raw()))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("2 vectors but 1 labels");
    }
}
