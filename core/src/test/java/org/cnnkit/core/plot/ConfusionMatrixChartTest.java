package org.cnnkit.core.plot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.metrics.ClassificationMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfusionMatrixChartTest {

    @TempDir
    Path folder;

    /** Mostly right predictions over the given classes, with a few confusions. */
    private static ClassificationMetrics metrics(List<String> classes, int perClass) {
        Random random = new Random(7);
        int n = classes.size();
        int[] actual = new int[n * perClass];
        int[] predicted = new int[n * perClass];
        for (int i = 0; i < actual.length; i++) {
            actual[i] = i / perClass;
            predicted[i] = random.nextDouble() < 0.85 ? actual[i] : random.nextInt(n);
        }
        return ClassificationMetrics.of(actual, predicted, classes);
    }

    @Test
    void writesANonBlankPngOfTheSharedSizeWithTheDarkDiagonal() throws Exception {
        Path png = folder.resolve("confusion.png");

        ConfusionMatrixChart.write(metrics(List.of("cat", "dog", "bird"), 50), png);

        BufferedImage image = PictureChecks.assertPicture(png, ChartLook.WIDTH, ChartLook.HEIGHT);
        // The diagonal cells (about 90% of their row) are drawn in the scale's dark end.
        assertThat(PictureChecks.pixelsNear(image, 0x08306B) + PictureChecks.pixelsNear(image, 0x0B3A7A))
                .as("dark blue diagonal pixels").isGreaterThan(10_000);
        assertThat(Files.list(folder)).as("no temporary file left").containsExactly(png);
    }

    @Test
    void writesWellFormedSvgWithTheClassNamesAndRecalls() throws Exception {
        Path svg = folder.resolve("confusion.svg");

        ConfusionMatrixChart.write(metrics(List.of("cat", "dog", "bird"), 50), "Confusion matrix, test", svg);

        PictureChecks.assertSvg(svg);
        String text = Files.readString(svg, StandardCharsets.UTF_8);
        assertThat(text).contains("cat", "dog", "bird", "recall", "Confusion matrix, test");
    }

    @Test
    void drawsManyClassesWithoutCellCounts() throws Exception {
        List<String> classes = new ArrayList<>();
        for (int c = 0; c < 40; c++) {
            classes.add("class" + c);
        }
        Path png = folder.resolve("many.png");

        ConfusionMatrixChart.write(metrics(classes, 10), png);

        PictureChecks.assertPicture(png, ChartLook.WIDTH, ChartLook.HEIGHT);
    }

    @Test
    void refusesAClassWithNoExamplesNamingIt() {
        ClassificationMetrics noBirds = ClassificationMetrics.of(new int[] {0, 0, 1, 1}, new int[] {0, 2, 1, 1},
                List.of("cat", "dog", "bird"));
        Path png = folder.resolve("confusion.png");

        assertThatThrownBy(() -> ConfusionMatrixChart.write(noBirds, png))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining("class 'bird' has no examples");
        assertThat(png).doesNotExist();
    }

    @Test
    void refusesAnUnknownPictureFormat() {
        assertThatThrownBy(() -> ConfusionMatrixChart.write(metrics(List.of("a", "b"), 5), folder.resolve("m.jpg")))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining("must end in .png or .svg");
    }
}
