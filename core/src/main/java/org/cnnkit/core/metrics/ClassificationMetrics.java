package org.cnnkit.core.metrics;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The quality of a classifier on a labelled set: accuracy, confusion matrix and per-class
 * precision, recall, F1 and support, plus their macro averages (unweighted means over classes).
 *
 * <p>Conventions, stated once because they matter when a class is rare:
 * <ul>
 *   <li>The confusion matrix has one row per <em>actual</em> class and one column per <em>predicted</em>
 *       class: {@code confusionMatrix()[a][p]} counts the examples of class {@code a} predicted as {@code p}.</li>
 *   <li>A class that is never predicted has precision 0 (not undefined); a class with no examples has
 *       recall 0; F1 is 0 when precision and recall are both 0. This is scikit-learn's
 *       {@code zero_division=0}.</li>
 * </ul>
 *
 * <p>Instances are immutable.
 */
public final class ClassificationMetrics {

    private final List<String> classNames;
    private final int[][] confusion;
    private final int count;
    private final List<ClassScore> perClass;

    /**
     * The scores of one class.
     *
     * @param className the class name
     * @param precision of the examples predicted as this class, the fraction that truly are (0 if none predicted)
     * @param recall of the examples of this class, the fraction predicted as this class (0 if it has none)
     * @param f1 the harmonic mean of precision and recall (0 if both are 0)
     * @param support the number of examples whose actual class is this one
     */
    public record ClassScore(String className, double precision, double recall, double f1, int support) {
    }

    private ClassificationMetrics(List<String> classNames, int[][] confusion, int count) {
        this.classNames = classNames;
        this.confusion = confusion;
        this.count = count;
        List<ClassScore> scores = new ArrayList<>(classNames.size());
        for (int c = 0; c < classNames.size(); c++) {
            int truePositives = confusion[c][c];
            int predicted = 0;
            int actual = 0;
            for (int k = 0; k < classNames.size(); k++) {
                predicted += confusion[k][c];
                actual += confusion[c][k];
            }
            double precision = predicted == 0 ? 0.0 : (double) truePositives / predicted;
            double recall = actual == 0 ? 0.0 : (double) truePositives / actual;
            double f1 = precision + recall == 0 ? 0.0 : 2 * precision * recall / (precision + recall);
            scores.add(new ClassScore(classNames.get(c), precision, recall, f1, actual));
        }
        this.perClass = Collections.unmodifiableList(scores);
    }

    /**
     * Computes the metrics of a set of predictions.
     *
     * @param actual the true class index of each example
     * @param predicted the predicted class index of each example, in the same order
     * @param classNames the name of each class index; at least one, no duplicates
     * @return the metrics
     * @throws NullPointerException if an argument or a class name is null
     * @throws IllegalArgumentException if the arrays differ in length or are empty, if an index is outside
     *     {@code [0, classNames.size())} (the message names the position), or if class names are missing or repeated
     */
    public static ClassificationMetrics of(int[] actual, int[] predicted, List<String> classNames) {
        Objects.requireNonNull(actual, "actual");
        Objects.requireNonNull(predicted, "predicted");
        List<String> names = List.copyOf(Objects.requireNonNull(classNames, "classNames"));
        if (names.isEmpty()) {
            throw new IllegalArgumentException("at least one class name is needed");
        }
        if (names.stream().distinct().count() != names.size()) {
            throw new IllegalArgumentException("class names must be distinct: " + names);
        }
        if (actual.length != predicted.length) {
            throw new IllegalArgumentException("got " + actual.length + " actual labels but "
                    + predicted.length + " predicted labels");
        }
        if (actual.length == 0) {
            throw new IllegalArgumentException("no examples: metrics need at least one prediction");
        }
        int n = names.size();
        int[][] confusion = new int[n][n];
        for (int i = 0; i < actual.length; i++) {
            checkIndex("actual", i, actual[i], n);
            checkIndex("predicted", i, predicted[i], n);
            confusion[actual[i]][predicted[i]]++;
        }
        return new ClassificationMetrics(names, confusion, actual.length);
    }

    private static void checkIndex(String which, int position, int index, int classes) {
        if (index < 0 || index >= classes) {
            throw new IllegalArgumentException(which + " label at position " + position + " is " + index
                    + ", outside the " + classes + " classes [0, " + (classes - 1) + "]");
        }
    }

    /** {@return the class names, index by index} */
    public List<String> classNames() {
        return classNames;
    }

    /** {@return the number of examples scored} */
    public int count() {
        return count;
    }

    /** {@return the number of examples predicted correctly} */
    public int correct() {
        int correct = 0;
        for (int c = 0; c < confusion.length; c++) {
            correct += confusion[c][c];
        }
        return correct;
    }

    /** {@return the fraction of examples predicted correctly, in [0, 1]} */
    public double accuracy() {
        return (double) correct() / count;
    }

    /**
     * Returns a copy of the confusion matrix: rows are actual classes, columns predicted classes.
     *
     * @return a fresh {@code n x n} array
     */
    public int[][] confusionMatrix() {
        int[][] copy = new int[confusion.length][];
        for (int i = 0; i < confusion.length; i++) {
            copy[i] = confusion[i].clone();
        }
        return copy;
    }

    /** {@return the scores of each class, in class index order} */
    public List<ClassScore> perClass() {
        return perClass;
    }

    /** {@return the unweighted mean of the per-class precisions} */
    public double macroPrecision() {
        return perClass.stream().mapToDouble(ClassScore::precision).average().orElse(0);
    }

    /** {@return the unweighted mean of the per-class recalls} */
    public double macroRecall() {
        return perClass.stream().mapToDouble(ClassScore::recall).average().orElse(0);
    }

    /** {@return the unweighted mean of the per-class F1 scores} */
    public double macroF1() {
        return perClass.stream().mapToDouble(ClassScore::f1).average().orElse(0);
    }

    /**
     * Returns the metrics as a nested map ready for a JSON writer: {@code accuracy}, {@code count},
     * {@code correct}, {@code classes}, {@code per_class} (a list of maps with {@code class},
     * {@code precision}, {@code recall}, {@code f1}, {@code support}), {@code macro_avg}
     * ({@code precision}, {@code recall}, {@code f1}) and {@code confusion_matrix} (a list of rows,
     * rows actual, columns predicted).
     *
     * @return an insertion-ordered map of strings, numbers, lists and maps
     */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("accuracy", accuracy());
        map.put("count", count);
        map.put("correct", correct());
        map.put("classes", classNames);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (ClassScore score : perClass) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("class", score.className());
            row.put("precision", score.precision());
            row.put("recall", score.recall());
            row.put("f1", score.f1());
            row.put("support", score.support());
            rows.add(row);
        }
        map.put("per_class", rows);
        Map<String, Object> macro = new LinkedHashMap<>();
        macro.put("precision", macroPrecision());
        macro.put("recall", macroRecall());
        macro.put("f1", macroF1());
        map.put("macro_avg", macro);
        List<List<Integer>> matrix = new ArrayList<>();
        for (int[] row : confusion) {
            List<Integer> values = new ArrayList<>(row.length);
            for (int v : row) {
                values.add(v);
            }
            matrix.add(values);
        }
        map.put("confusion_matrix", matrix);
        return map;
    }

    /**
     * Returns the metrics as an aligned text table: accuracy, one line per class with precision,
     * recall, F1 and support, the macro averages, then the confusion matrix (rows actual, columns predicted).
     *
     * @return multi-line text ending with a newline
     */
    public String toTable() {
        int nameWidth = "macro avg".length();
        for (String name : classNames) {
            nameWidth = Math.max(nameWidth, name.length());
        }
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "accuracy %.4f (%d of %d)%n%n", accuracy(), correct(), count));
        String rowFormat = "%-" + nameWidth + "s  %9s  %9s  %9s  %9s%n";
        out.append(String.format(Locale.ROOT, rowFormat, "class", "precision", "recall", "f1", "support"));
        for (ClassScore s : perClass) {
            out.append(String.format(Locale.ROOT, rowFormat, s.className(), fixed(s.precision()),
                    fixed(s.recall()), fixed(s.f1()), s.support()));
        }
        out.append(String.format(Locale.ROOT, rowFormat, "macro avg", fixed(macroPrecision()),
                fixed(macroRecall()), fixed(macroF1()), count));
        out.append(String.format("%nconfusion matrix (rows actual, columns predicted)%n"));
        int cellWidth = 1;
        for (int[] row : confusion) {
            for (int v : row) {
                cellWidth = Math.max(cellWidth, Integer.toString(v).length());
            }
        }
        for (String name : classNames) {
            cellWidth = Math.max(cellWidth, name.length());
        }
        String cell = "  %" + cellWidth + "s";
        out.append(String.format("%-" + nameWidth + "s", ""));
        for (String name : classNames) {
            out.append(String.format(cell, name));
        }
        out.append(System.lineSeparator());
        for (int a = 0; a < confusion.length; a++) {
            out.append(String.format("%-" + nameWidth + "s", classNames.get(a)));
            for (int v : confusion[a]) {
                out.append(String.format(cell, v));
            }
            out.append(System.lineSeparator());
        }
        return out.toString();
    }

    private static String fixed(double value) {
        return String.format(Locale.ROOT, "%.4f", value);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "ClassificationMetrics[accuracy=%.4f, count=%d, classes=%s]",
                accuracy(), count, classNames);
    }
}
