package org.cnnkit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoCommandTest {

    @TempDir
    Path dir;

    @Test
    void runsTheThreeJobsOnEmbeddedDataWithPretrainedWeights() throws Exception {
        Path weights = CliRunner.mobileNetWeights();
        Path out = dir.resolve("demo");
        Path reportFile = dir.resolve("demo.json");

        int exit = run("demo", "--out", out.toString(), "--epochs", "2", "--mobilenet-weights", weights.toString(),
                "--report", reportFile.toString());

        assertThat(exit).isZero();
        JsonNode report = new ObjectMapper().readTree(reportFile.toFile());
        assertThat(report.at("/classify/validation/accuracy").asDouble()).isGreaterThan(0.5);
        assertThat(report.at("/transfer/validation/accuracy").asDouble()).isGreaterThan(0.8);
        assertThat(report.at("/retrieve/indexed").asInt()).isEqualTo(48);
        assertThat(report.at("/retrieve/precision_at_4").asDouble()).isGreaterThan(0.5);
        assertThat(out.resolve("digits-cnn.cnnkit")).isRegularFile();
        assertThat(out.resolve("digits-mobilenetv2.cnnkit")).isRegularFile();
        assertThat(out.resolve("patterns.cfi")).isRegularFile();
        assertThat(out.resolve("search-circles.png")).isRegularFile();
    }

    @Test
    void refusesZeroEpochsAsAUsageError() {
        assertThat(run("demo", "--out", dir.toString(), "--epochs", "0")).isEqualTo(2);
    }

    private static int run(String... args) {
        return CliRunner.run(new StringWriter(), new StringWriter(), args);
    }
}
