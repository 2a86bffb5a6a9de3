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
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.examples.EmbeddedDigits;
import org.cnnkit.zoo.ImageClassifier;
import org.cnnkit.zoo.SeedCnn;
import org.cnnkit.zoo.onnx.OnnxRuntimeSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code export} and {@code --engine}: the exported file, both engines' equal predictions, refused option values. */
class ExportAndEngineCommandsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    private static Path digits;
    private static Path model;
    private static List<Path> images;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeAll
    static void saveAModel() throws IOException {
        digits = EmbeddedDigits.load().extractTo(dir.resolve("digits"));
        InputShape shape = new InputShape(28, 28, 1);
        model = dir.resolve("digits.cnnkit");
        ImageClassifier.builder().setNetwork(SeedCnn.NOTEBOOK.create(shape, 3, 11)).setClassNames(List.of("0", "1", "2"))
                .setInputShape(shape).setPreprocessing(Preprocessing.RESCALE).build().save(model);
        try (Stream<Path> files = Files.walk(digits)) {
            images = files.filter(p -> p.toString().endsWith(".png")).sorted().limit(5).toList();
        }
    }

    private int run(String... args) {
        return CliRunner.run(out, err, args);
    }

    @Test
    void exportWritesAnOnnxModelWithTheClassifiersMetadata() throws IOException {
        Path onnx = dir.resolve("digits.onnx");
        Path report = dir.resolve("export.json");

        int exit = run("export", "--model", model.toString(), "--out", onnx.toString(), "--report", report.toString());

        assertThat(exit).as(err.toString()).isZero();
        JsonNode json = JSON.readTree(report.toFile());
        assertThat(json.path("opset").asInt()).isEqualTo(13);
        assertThat(json.path("input_shape").asText()).isEqualTo("28x28x1");
        assertThat(json.path("preprocessing").asText()).isEqualTo("RESCALE");
        assertThat(json.path("bytes").asLong()).isEqualTo(Files.size(onnx));
        try (OnnxRuntimeSession session = OnnxRuntimeSession.open(onnx)) {
            assertThat(session.metadata().classNames()).containsExactly("0", "1", "2");
        }
    }

    @Test
    void predictGivesTheSameProbabilitiesOnBothEnginesAndReportsTheEngine() throws IOException {
        double[][] probabilities = new double[2][];
        String[] engines = {"dl4j", "onnx"};
        for (int e = 0; e < engines.length; e++) {
            Path report = dir.resolve("predict-" + engines[e] + ".json");
            int exit = run("predict", "--model", model.toString(), "--engine", engines[e], "--top", "3",
                    "--report", report.toString(), images.get(0).toString(), images.get(1).toString());
            assertThat(exit).as(err.toString()).isZero();
            JsonNode json = JSON.readTree(report.toFile());
            assertThat(json.path("engine").asText()).isEqualTo(engines[e]);
            JsonNode top = json.path("predictions").get(1).path("top");
            probabilities[e] = new double[3];
            for (JsonNode label : top) {
                probabilities[e][label.path("index").asInt()] = label.path("probability").asDouble();
            }
        }
        for (int c = 0; c < 3; c++) {
            assertThat(probabilities[1][c]).isCloseTo(probabilities[0][c], org.assertj.core.api.Assertions.within(1e-4));
        }
    }

    @Test
    void evaluateReportsTheDefaultEngine() throws IOException {
        Path report = dir.resolve("evaluate.json");
        int exit = run("evaluate", "--model", model.toString(), "--data", digits.toString(), "--report",
                report.toString());
        assertThat(exit).as(err.toString()).isZero();
        assertThat(JSON.readTree(report.toFile()).path("engine").asText()).isEqualTo("onnx");
    }

    @Test
    void anUnknownEngineAndAnExportWithoutSourceAreUsageErrors() {
        assertThat(run("predict", "--model", model.toString(), "--engine", "tpu", images.get(0).toString()))
                .isEqualTo(2);
        assertThat(err.toString()).contains("tpu").contains("dl4j");
        assertThat(run("export", "--out", dir.resolve("x.onnx").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("--model").contains("--extractor");
    }
}
