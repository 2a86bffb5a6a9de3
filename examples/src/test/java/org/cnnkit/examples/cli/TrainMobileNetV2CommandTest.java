package org.cnnkit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.cnnkit.examples.EmbeddedDigits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train --model mobilenetv2} with the alpha-0.35 weights of the assets, on a few embedded digits. */
class TrainMobileNetV2CommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return CliRunner.run(out, err, args);
    }

    /** The first {@code perClass} digits of each class of the embedded set. */
    private Path fewDigits(int perClass) throws IOException {
        Path all = EmbeddedDigits.load().extractTo(dir.resolve("all"));
        Path few = dir.resolve("few");
        for (String digit : List.of("0", "1", "2")) {
            Files.createDirectories(few.resolve(digit));
            try (Stream<Path> files = Files.list(all.resolve(digit))) {
                for (Path file : files.sorted().limit(perClass).toList()) {
                    Files.copy(file, few.resolve(digit).resolve(file.getFileName()));
                }
            }
        }
        return few;
    }

    @Test
    void trainsTheTransferModelAndSavesAClassifierThatPredicts() throws IOException {
        Path weights = CliRunner.mobileNetWeights();
        Path data = fewDigits(10);
        Path model = dir.resolve("digits-mobilenet.cnnkit");
        Path report = dir.resolve("train.json");

        int exit = run("train", "--data", data.toString(), "--model", "mobilenetv2", "--alpha", "0.35",
                "--weights", weights.toString(), "--image-size", "32", "--epochs", "2", "--augment", "off",
                "--out", model.toString(), "--report", report.toString());

        assertThat(exit).as(err.toString()).isZero();
        JsonNode json = JSON.readTree(report.toFile());
        assertThat(json.path("model").asText()).isEqualTo("mobilenetv2-0.35-transfer");
        assertThat(json.path("epochs").asInt()).isEqualTo(2);
        assertThat(json.path("settings").path("feature_caching").asText()).isEqualTo("true");
        assertThat(json.path("validation").path("confusion_matrix")).hasSize(3);
        assertThat(out.toString()).contains("epoch 2:");

        Path digit = data.resolve("1").resolve(Files.list(data.resolve("1")).sorted().findFirst().orElseThrow()
                .getFileName());
        assertThat(run("predict", "--model", model.toString(), digit.toString())).as(err.toString()).isZero();
    }

    @Test
    void anAlphaWithoutPretrainedWeightsIsAUsageError() {
        int exit = run("train", "--data", dir.toString(), "--model", "mobilenetv2", "--alpha", "0.6",
                "--out", dir.resolve("m.cnnkit").toString());
        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("--alpha must be one of");
    }
}
