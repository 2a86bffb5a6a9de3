package org.cnnkit.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClassificationMetricsTest {

    private static final List<String> ABC = List.of("a", "b", "c");

    // actual:    a a a a b b b c c c
    // predicted: a a b a b b a c b c
    // confusion (rows actual): a: [3,1,0]  b: [1,2,0]  c: [0,1,2]
    private static final int[] ACTUAL = {0, 0, 0, 0, 1, 1, 1, 2, 2, 2};
    private static final int[] PREDICTED = {0, 0, 1, 0, 1, 1, 0, 2, 1, 2};

    @Test
    void confusionMatrixHasActualRowsAndPredictedColumns() {
        ClassificationMetrics m = ClassificationMetrics.of(ACTUAL, PREDICTED, ABC);

        assertThat(m.confusionMatrix()).isDeepEqualTo(new int[][] {{3, 1, 0}, {1, 2, 0}, {0, 1, 2}});
        assertThat(m.count()).isEqualTo(10);
        assertThat(m.correct()).isEqualTo(7);
        assertThat(m.accuracy()).isEqualTo(0.7);
    }

    @Test
    void perClassScoresMatchHandComputedValues() {
        ClassificationMetrics m = ClassificationMetrics.of(ACTUAL, PREDICTED, ABC);

        // a: predicted 4 times, 3 right -> P 3/4; 4 actual -> R 3/4; F1 3/4
        // b: predicted 4 times, 2 right -> P 1/2; 3 actual -> R 2/3; F1 = 2*(1/2)(2/3)/(1/2+2/3) = 4/7
        // c: predicted 2 times, 2 right -> P 1;   3 actual -> R 2/3; F1 = 2*(2/3)/(5/3) = 4/5
        ClassificationMetrics.ClassScore a = m.perClass().get(0);
        ClassificationMetrics.ClassScore b = m.perClass().get(1);
        ClassificationMetrics.ClassScore c = m.perClass().get(2);
        assertThat(a).isEqualTo(new ClassificationMetrics.ClassScore("a", 0.75, 0.75, 0.75, 4));
        assertThat(b.precision()).isEqualTo(0.5);
        assertThat(b.recall()).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(b.f1()).isCloseTo(4.0 / 7, within(1e-12));
        assertThat(b.support()).isEqualTo(3);
        assertThat(c.precision()).isEqualTo(1.0);
        assertThat(c.recall()).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(c.f1()).isCloseTo(0.8, within(1e-12));
        assertThat(m.macroPrecision()).isCloseTo((0.75 + 0.5 + 1.0) / 3, within(1e-12));
        assertThat(m.macroRecall()).isCloseTo((0.75 + 2.0 / 3 + 2.0 / 3) / 3, within(1e-12));
        assertThat(m.macroF1()).isCloseTo((0.75 + 4.0 / 7 + 0.8) / 3, within(1e-12));
    }

    @Test
    void classNeverPredictedHasPrecisionZeroNotNaN() {
        // class "c" exists (2 examples) but is never predicted; class "b" is never an actual label
        ClassificationMetrics m = ClassificationMetrics.of(
                new int[] {0, 0, 2, 2}, new int[] {0, 1, 0, 1}, ABC);

        ClassificationMetrics.ClassScore b = m.perClass().get(1);
        ClassificationMetrics.ClassScore c = m.perClass().get(2);
        assertThat(c.precision()).isEqualTo(0.0);
        assertThat(c.recall()).isEqualTo(0.0);
        assertThat(c.f1()).isEqualTo(0.0);
        assertThat(c.support()).isEqualTo(2);
        assertThat(b.precision()).isEqualTo(0.0);
        assertThat(b.recall()).isEqualTo(0.0);
        assertThat(b.support()).isZero();
        assertThat(m.perClass().get(0).precision()).isEqualTo(0.5);
        assertThat(m.macroPrecision()).isCloseTo(0.5 / 3, within(1e-12));
    }

    @Test
    void toMapHasTheReportKeys() {
        Map<String, Object> map = ClassificationMetrics.of(ACTUAL, PREDICTED, ABC).toMap();

        assertThat(map).containsKeys("accuracy", "per_class", "confusion_matrix");
        assertThat(map.get("accuracy")).isEqualTo(0.7);
        assertThat(map.get("confusion_matrix")).isEqualTo(List.of(List.of(3, 1, 0), List.of(1, 2, 0), List.of(0, 1, 2)));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> perClass = (List<Map<String, Object>>) map.get("per_class");
        assertThat(perClass).hasSize(3);
        assertThat(perClass.get(2)).containsEntry("class", "c").containsEntry("precision", 1.0)
                .containsEntry("support", 3).containsKeys("recall", "f1");
    }

    @Test
    void toTableAlignsClassRowsAndShowsTheMatrix() {
        String table = ClassificationMetrics.of(ACTUAL, PREDICTED, List.of("zero", "one", "two")).toTable();

        assertThat(table).contains("accuracy 0.7000 (7 of 10)");
        assertThat(table).contains("one           0.5000     0.6667     0.5714          3");
        assertThat(table).contains("macro avg");
        List<String> lines = table.lines().toList();
        int header = lines.indexOf("confusion matrix (rows actual, columns predicted)");
        assertThat(lines.get(header + 1)).isEqualTo("           zero   one   two");
        assertThat(lines.get(header + 2)).isEqualTo("zero          3     1     0");
        assertThat(lines.get(header + 4)).isEqualTo("two           0     1     2");
    }

    @Test
    void rejectsBadInputWithAClearMessage() {
        assertThatThrownBy(() -> ClassificationMetrics.of(new int[] {0, 1}, new int[] {0}, ABC))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 actual labels but 1 predicted");
        assertThatThrownBy(() -> ClassificationMetrics.of(new int[] {0, 3}, new int[] {0, 1}, ABC))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("actual label at position 1 is 3");
        assertThatThrownBy(() -> ClassificationMetrics.of(new int[] {0}, new int[] {-1}, ABC))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("predicted label at position 0");
        assertThatThrownBy(() -> ClassificationMetrics.of(new int[0], new int[0], ABC))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no examples");
        assertThatThrownBy(() -> ClassificationMetrics.of(new int[] {0}, new int[] {0}, List.of("a", "a")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("distinct");
        assertThatThrownBy(() -> ClassificationMetrics.of(new int[] {0}, new int[] {0}, List.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void confusionMatrixCopyCannotChangeTheMetrics() {
        ClassificationMetrics m = ClassificationMetrics.of(ACTUAL, PREDICTED, ABC);
        m.confusionMatrix()[0][0] = 99;
        assertThat(m.confusionMatrix()[0][0]).isEqualTo(3);
    }
}
