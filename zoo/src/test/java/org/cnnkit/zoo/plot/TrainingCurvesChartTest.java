package org.cnnkit.zoo.plot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.plot.ChartLook;
import org.cnnkit.core.plot.PictureChecks;
import org.cnnkit.zoo.EpochStats;
import org.cnnkit.zoo.TrainingHistory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingCurvesChartTest {

    private static final int BLUE = 0x0072B2;
    private static final int VERMILLION = 0xD55E00;

    @TempDir
    Path folder;

    /** A run that learns: loss falls, accuracy rises; validation a little behind, or absent. */
    private static TrainingHistory history(int epochs, boolean validated) {
        List<EpochStats> stats = new ArrayList<>();
        for (int e = 1; e <= epochs; e++) {
            stats.add(new EpochStats(e, 1.0 / e, 1 - 0.4 / e, validated ? 1.2 / e + 0.02 * e : Double.NaN,
                    validated ? 1 - 0.5 / e : Double.NaN, 2.5));
        }
        return new TrainingHistory(stats, Math.max(1, epochs - 2), false, 2.5 * epochs);
    }

    @Test
    void writesTrainingAndValidationCurvesInTheirColours() throws Exception {
        Path png = folder.resolve("curves.png");

        TrainingCurvesChart.write(history(8, true), png);

        BufferedImage image = PictureChecks.assertPicture(png, ChartLook.WIDTH, ChartLook.HEIGHT);
        assertThat(PictureChecks.pixelsNear(image, BLUE)).as("training lines").isGreaterThan(500);
        assertThat(PictureChecks.pixelsNear(image, VERMILLION)).as("validation lines").isGreaterThan(300);
        assertThat(Files.list(folder)).containsExactly(png);
    }

    @Test
    void withoutValidationOnlyTheTrainingLinesAreDrawn() throws Exception {
        Path png = folder.resolve("curves.png");

        TrainingCurvesChart.write(history(5, false), png);

        BufferedImage image = PictureChecks.assertPicture(png, ChartLook.WIDTH, ChartLook.HEIGHT);
        assertThat(PictureChecks.pixelsNear(image, BLUE)).isGreaterThan(500);
        assertThat(PictureChecks.pixelsNear(image, VERMILLION)).as("no validation colour").isZero();
    }

    @Test
    void aSingleEpochStillGivesAPicture() throws Exception {
        Path png = folder.resolve("one.png");

        TrainingCurvesChart.write(history(1, true), png);

        PictureChecks.assertPicture(png, ChartLook.WIDTH, ChartLook.HEIGHT);
    }

    @Test
    void writesWellFormedSvgWithTheAxisLabels() throws Exception {
        Path svg = folder.resolve("curves.svg");

        TrainingCurvesChart.write(history(6, true), svg);

        PictureChecks.assertSvg(svg);
        assertThat(Files.readString(svg)).contains("Training curves", "epoch", "best epoch 4", "validation");
    }

    @Test
    void aHistoryWithoutAnyFiniteLossIsRefused() {
        TrainingHistory diverged = new TrainingHistory(List.of(
                new EpochStats(1, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 1),
                new EpochStats(2, Double.POSITIVE_INFINITY, 0.1, Double.NaN, Double.NaN, 1)), 2, false, 2);
        Path png = folder.resolve("curves.png");

        assertThatThrownBy(() -> TrainingCurvesChart.write(diverged, png))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining("none of the 2 epochs has a finite training loss");
        assertThat(png).doesNotExist();
    }

    @Test
    void anEmptyHistoryCannotBeMade() {
        assertThatThrownBy(() -> new TrainingHistory(List.of(), 1, false, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least one epoch");
    }
}
