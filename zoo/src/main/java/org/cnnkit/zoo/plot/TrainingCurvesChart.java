package org.cnnkit.zoo.plot;

import java.nio.file.Path;
import java.util.Objects;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.plot.ChartFormat;
import org.cnnkit.core.plot.ChartLibrary;
import org.cnnkit.core.plot.ChartLook;
import org.cnnkit.core.plot.ChartFile;
import org.cnnkit.zoo.EpochStats;
import org.cnnkit.zoo.TrainingHistory;

/**
 * Draws a {@link TrainingHistory} as two panels over a shared epoch axis: the loss (training and validation) above,
 * the accuracy in percent below; training lines solid, validation lines dashed, and the epoch whose weights were
 * kept marked in both panels. Without validation only the training lines are drawn. The picture is
 * {@link ChartLook#WIDTH} x {@link ChartLook#HEIGHT}, PNG or SVG by the file's extension, in cnnkit's shared look.
 */
public final class TrainingCurvesChart {

    private TrainingCurvesChart() {
    }

    /**
     * Writes the training curves picture.
     *
     * @param history the history to draw
     * @param file a {@code .png} or {@code .svg} file, written atomically
     * @throws CnnkitException if no epoch has a finite training loss and accuracy (a run that diverged from the first
     *     step: there is nothing to draw), the format is unknown, the charting library is missing, or the file cannot
     *     be written
     */
    public static void write(TrainingHistory history, Path file) {
        Objects.requireNonNull(history, "history");
        boolean anyFinite = false;
        for (EpochStats epoch : history.epochs()) {
            anyFinite |= Double.isFinite(epoch.trainLoss()) && Double.isFinite(epoch.trainAccuracy());
        }
        if (!anyFinite) {
            throw new CnnkitException("cannot draw the training curves: none of the " + history.epochs().size()
                    + " epochs has a finite training loss (the training diverged); lower the learning rate");
        }
        ChartLibrary.require(ChartFormat.of(file));
        try {
            ChartFile.write(TrainingCurvesDrawing.chart(history), file, ChartLook.WIDTH, ChartLook.HEIGHT);
        } catch (NoClassDefFoundError e) {
            throw ChartLibrary.missing(e);
        }
    }
}
