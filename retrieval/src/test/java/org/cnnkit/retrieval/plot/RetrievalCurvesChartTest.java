package org.cnnkit.retrieval.plot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.plot.ChartLook;
import org.cnnkit.core.plot.PictureChecks;
import org.cnnkit.retrieval.Metric;
import org.cnnkit.retrieval.RetrievalEvaluation;
import org.cnnkit.retrieval.RetrievalMetrics;
import org.cnnkit.retrieval.SearchSettings;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RetrievalCurvesChartTest {

    private static RetrievalMetrics raw;
    private static RetrievalMetrics cosine;
    private static RetrievalMetrics defaults;

    @TempDir
    Path folder;

    /** Five noisy classes in 16 dimensions, whose length varies: the settings rank them differently. */
    @BeforeAll
    static void evaluate() {
        Random random = new Random(11);
        int n = 100;
        float[][] vectors = new float[n][16];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 5;
            float scale = 0.5f + 3 * random.nextFloat();
            for (int j = 0; j < 16; j++) {
                vectors[i][j] = scale * ((j % 5 == labels[i] ? 1.2f : 0f) + (float) random.nextGaussian() * 0.6f);
            }
        }
        raw = RetrievalEvaluation.evaluate(vectors, labels, SearchSettings.raw());
        cosine = RetrievalEvaluation.evaluate(vectors, labels, SearchSettings.of(Metric.COSINE));
        defaults = RetrievalEvaluation.evaluate(vectors, labels, SearchSettings.defaults());
    }

    @Test
    void writesOneLinePerVariantWithTheHighlightedOneInBlack() throws Exception {
        Path png = folder.resolve("curves.png");

        RetrievalCurvesChart.builder().addVariant("raw", raw).addVariant("cosine", cosine)
                .addVariant("default", defaults).optHighlight("default").build().write(png);

        BufferedImage image = PictureChecks.assertPicture(png, ChartLook.WIDTH, ChartLook.HEIGHT);
        assertThat(PictureChecks.pixelsNear(image, 0x000000)).as("thick black highlighted line").isGreaterThan(2000);
        assertThat(PictureChecks.pixelsNear(image, 0x0072B2)).as("first other variant").isGreaterThan(300);
        assertThat(PictureChecks.pixelsNear(image, 0xD55E00)).as("second other variant").isGreaterThan(300);
    }

    @Test
    void writesWellFormedSvgWithTheLegendAndAxes() throws Exception {
        Path svg = folder.resolve("curves.svg");

        RetrievalCurvesChart.builder().addVariant("raw", raw).addVariant("default", defaults).build().write(svg);

        PictureChecks.assertSvg(svg);
        assertThat(Files.readString(svg)).contains("recall (%)", "rank k", "raw (mAP", "default (mAP");
    }

    @Test
    void noCurvesIsRefused() {
        assertThatThrownBy(() -> RetrievalCurvesChart.builder().build())
                .isInstanceOf(CnnkitException.class).hasMessageContaining("no retrieval curves to draw");
    }

    @Test
    void anUnknownHighlightOrARepeatedLabelIsRefused() {
        assertThatThrownBy(() -> RetrievalCurvesChart.builder().addVariant("raw", raw).optHighlight("pca").build())
                .isInstanceOf(CnnkitException.class).hasMessageContaining("'pca' is not among [raw]");
        assertThatThrownBy(() -> RetrievalCurvesChart.builder().addVariant("raw", raw).addVariant("raw", cosine)
                .build()).isInstanceOf(CnnkitException.class).hasMessageContaining("distinct labels");
    }
}
