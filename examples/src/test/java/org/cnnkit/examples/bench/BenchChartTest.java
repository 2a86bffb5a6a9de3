package org.cnnkit.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.plot.ChartLook;
import org.cnnkit.core.plot.PictureChecks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchChartTest {

    private static final String CNNKIT = "cnnkit 0.1.0 / dl4j 1.0.0-M2.1";
    private static final String TORCH = "pytorch 1.13.0";

    @TempDir
    Path folder;

    private static BenchResult line(String workload, double value, String unit, String peer) {
        return new BenchResult(workload, value, unit, peer, 300, Map.of());
    }

    @Test
    void readsPeerLinesSkippingOtherOutput() throws Exception {
        Path file = folder.resolve("torch.jsonl");
        Files.writeString(file, "loading torch...\n"
                + "{\"workload\": \"cnn-infer-100\", \"value\": 434.09, \"unit\": \"images/s\", \"peer\": \"pytorch 1.13.0\", "
                + "\"peak_rss_mib\": 361, \"batch\": 32}\n\n"
                + "{\"workload\": \"index-query-l2-100k-4096\", \"value\": 189.71, \"unit\": \"queries/s\", "
                + "\"peer\": \"pytorch 1.13.0\", \"peak_rss_mib\": 3393}\n");

        List<BenchResult> lines = BenchLines.read(file);

        assertThat(lines).hasSize(2);
        assertThat(lines.get(0).workload()).isEqualTo("cnn-infer-100");
        assertThat(lines.get(0).value()).isEqualTo(434.09);
        assertThat(lines.get(0).peakRssMib()).isEqualTo(361);
        assertThat(lines.get(0).extra()).containsEntry("batch", 32);
        assertThat(lines.get(1).unit()).isEqualTo("queries/s");
    }

    @Test
    void aMalformedOrIncompleteLineIsRefusedWithItsLineNumber() throws Exception {
        Path broken = folder.resolve("broken.jsonl");
        Files.writeString(broken, "{\"workload\": \"a\", \"value\": 1, \"unit\": \"images/s\", \"peer\": \"p\"}\n{\"workload\": \n");
        Path incomplete = folder.resolve("incomplete.jsonl");
        Files.writeString(incomplete, "{\"workload\": \"a\", \"unit\": \"images/s\", \"peer\": \"p\"}\n");
        Path empty = folder.resolve("empty.jsonl");
        Files.writeString(empty, "nothing measured\n");

        assertThatThrownBy(() -> BenchLines.read(broken)).isInstanceOf(CnnkitException.class)
                .hasMessageContaining("broken.jsonl line 2 is not a JSON object");
        assertThatThrownBy(() -> BenchLines.read(incomplete)).isInstanceOf(CnnkitException.class)
                .hasMessageContaining("incomplete.jsonl line 1 has no 'value'");
        assertThatThrownBy(() -> BenchLines.read(empty)).isInstanceOf(CnnkitException.class)
                .hasMessageContaining("no benchmark lines");
    }

    @Test
    void drawsOneBarPerPeerAndWorkloadInThePaletteColours() throws Exception {
        List<BenchResult> cnnkit = List.of(line("cnn-infer-100", 1313.77, "images/s", CNNKIT),
                line("mnv2-a0.35-infer-224", 322.67, "images/s", CNNKIT),
                line("index-query-l2-100k-4096", 203.26, "queries/s", CNNKIT),
                line("pipeline-decode-augment-100", 956.94, "images/s", CNNKIT));
        List<BenchResult> peers = List.of(line("cnn-infer-100", 472.02, "images/s", TORCH),
                line("mnv2-a0.35-infer-224", 140.43, "images/s", TORCH),
                line("index-query-l2-100k-4096", 185.83, "queries/s", TORCH),
                line("vgg16-fc2-224", 6.3, "images/s", TORCH));
        Path png = folder.resolve("bench.png");

        BenchChart.write(cnnkit, peers, png);

        BufferedImage image = PictureChecks.assertPicture(png, ChartLook.WIDTH, ChartLook.HEIGHT);
        assertThat(PictureChecks.pixelsNear(image, 0x0072B2)).as("cnnkit bars").isGreaterThan(5000);
        assertThat(PictureChecks.pixelsNear(image, 0xD55E00)).as("peer bars").isGreaterThan(2000);
    }

    @Test
    void writesWellFormedSvgWithTheMeasuredValues() throws Exception {
        Path svg = folder.resolve("bench.svg");

        BenchChart.write(List.of(line("cnn-infer-100", 1313.77, "images/s", CNNKIT)),
                List.of(line("cnn-infer-100", 400, "images/s", TORCH), line("cnn-infer-100", 500, "images/s", TORCH)),
                svg);

        PictureChecks.assertSvg(svg);
        // The two peer rounds are averaged: 450.
        assertThat(Files.readString(svg)).contains("cnn-infer-100", "1314 images/s", "450 images/s", TORCH);
    }

    @Test
    void noResultsOrDisagreeingUnitsAreRefused() {
        Path png = folder.resolve("bench.png");
        assertThatThrownBy(() -> BenchChart.write(List.of(), List.of(), png))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("no cnnkit benchmark results");
        assertThatThrownBy(() -> BenchChart.write(List.of(line("w", 1, "images/s", CNNKIT)),
                List.of(line("w", 1, "queries/s", TORCH)), png))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("measured in images/s and in queries/s");
        assertThat(png).doesNotExist();
    }
}
