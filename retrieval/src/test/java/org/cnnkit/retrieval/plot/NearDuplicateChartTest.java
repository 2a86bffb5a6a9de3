package org.cnnkit.retrieval.plot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.plot.ChartLook;
import org.cnnkit.core.plot.PictureChecks;
import org.cnnkit.retrieval.NearDuplicateMetrics;
import org.cnnkit.retrieval.NearDuplicateMetrics.DistortionRecall;
import org.cnnkit.retrieval.NearDuplicateSuite.Distortion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NearDuplicateChartTest {

    @TempDir
    Path folder;

    private static NearDuplicateMetrics metrics(double cropRecall) {
        List<DistortionRecall> rows = List.of(
                new DistortionRecall(Distortion.CROP, cropRecall, 1.0, 20),
                new DistortionRecall(Distortion.ROTATION, 0.95, 1.0, 20),
                new DistortionRecall(Distortion.JPEG, 1.0, 1.0, 20));
        return new NearDuplicateMetrics((cropRecall + 0.95 + 1.0) / 3, 1.0, 60, rows);
    }

    @Test
    void writesTwoBarsPerDistortionInThePaletteColours() throws Exception {
        Path png = folder.resolve("near-duplicates.png");

        NearDuplicateChart.of(metrics(0.9)).write(png);

        BufferedImage image = PictureChecks.assertPicture(png, ChartLook.WIDTH, ChartLook.HEIGHT);
        assertThat(PictureChecks.pixelsNear(image, 0x0072B2)).as("recall@1 bars").isGreaterThan(5000);
        assertThat(PictureChecks.pixelsNear(image, 0xD55E00)).as("recall@4 bars").isGreaterThan(5000);
    }

    @Test
    void shorterRecallGivesShorterBars() throws Exception {
        Path high = folder.resolve("high.png");
        Path low = folder.resolve("low.png");

        NearDuplicateChart.of(metrics(0.95)).write(high);
        NearDuplicateChart.of(metrics(0.2)).write(low);

        long highBlue = PictureChecks.pixelsNear(PictureChecks.assertPicture(high, ChartLook.WIDTH, ChartLook.HEIGHT),
                0x0072B2);
        long lowBlue = PictureChecks.pixelsNear(PictureChecks.assertPicture(low, ChartLook.WIDTH, ChartLook.HEIGHT),
                0x0072B2);
        assertThat(lowBlue).isLessThan(highBlue);
    }

    @Test
    void svgNamesEachDistortionWithItsCopiesAndTheAxis() throws Exception {
        Path svg = folder.resolve("near-duplicates.svg");

        NearDuplicateChart.of(metrics(0.9)).optTitle("Copies of Corel-1K").write(svg);

        PictureChecks.assertSvg(svg);
        assertThat(Files.readString(svg)).contains("Copies of Corel-1K", "crop (20)", "rotation (20)", "jpeg (20)",
                "all copies (60)", "copies whose original was found (%)", "recall@1");
    }

    @Test
    void noQueriesIsRefusedWithAClearMessage() {
        assertThatThrownBy(() -> NearDuplicateChart.of(new NearDuplicateMetrics(0, 0, 0, List.of())))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("no near-duplicate queries to draw");
    }
}
