package org.cnnkit.retrieval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

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
