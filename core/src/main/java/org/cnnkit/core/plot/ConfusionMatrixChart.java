package org.cnnkit.core.plot;

import java.nio.file.Path;
import java.util.Objects;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.metrics.ClassificationMetrics;

/**
 * Draws the confusion matrix of a {@link ClassificationMetrics} as a heat map: one row per actual class, one column
 * per predicted class, class names on both axes, each cell coloured by its share of the row (so a row's diagonal
 * cell is that class's recall) and labelled with its count; each row's label carries the class's recall and
 * support. The picture is {@link ChartLook#WIDTH} x {@link ChartLook#HEIGHT}, PNG or SVG by the file's extension.
 */
public final class ConfusionMatrixChart {

    /** The most classes whose cells are labelled with counts; beyond it the cells are too small for text. */
    public static final int MAX_LABELLED_CLASSES = 30;

    private ConfusionMatrixChart() {
    }

    /**
     * Writes the confusion matrix picture with the title {@code Confusion matrix}.
     *
     * @param metrics the metrics to draw
     * @param file a {@code .png} or {@code .svg} file, written atomically
     * @throws CnnkitException if a class has no examples (its row would be empty and its recall undefined), the
     *     format is unknown, the charting library is missing, or the file cannot be written
     */
    public static void write(ClassificationMetrics metrics, Path file) {
        write(metrics, "Confusion matrix", file);
    }

    /**
     * Writes the confusion matrix picture.
     *
     * @param metrics the metrics to draw
     * @param title the title, such as {@code Confusion matrix, validation images}
     * @param file a {@code .png} or {@code .svg} file, written atomically
     * @throws CnnkitException if a class has no examples (its row would be empty and its recall undefined), the
     *     format is unknown, the charting library is missing, or the file cannot be written
     */
    public static void write(ClassificationMetrics metrics, String title, Path file) {
        Objects.requireNonNull(metrics, "metrics");
        Objects.requireNonNull(title, "title");
        for (ClassificationMetrics.ClassScore score : metrics.perClass()) {
            if (score.support() == 0) {
                throw new CnnkitException("cannot draw the confusion matrix: class '" + score.className()
                        + "' has no examples among the " + metrics.count() + " evaluated, so its row is empty and its "
                        + "recall undefined; evaluate on images of every class");
            }
        }
        ChartLibrary.require(ChartFormat.of(file));
        try {
            ChartFile.write(ConfusionMatrixDrawing.chart(metrics, title), file, ChartLook.WIDTH, ChartLook.HEIGHT);
        } catch (NoClassDefFoundError e) {
            throw ChartLibrary.missing(e);
        }
    }
}
