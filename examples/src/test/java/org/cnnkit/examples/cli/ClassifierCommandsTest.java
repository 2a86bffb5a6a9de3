package org.cnnkit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.cnnkit.examples.EmbeddedDigits;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train, evaluate and predict from the command line, on the embedded digits; one training run shared by all. */
class ClassifierCommandsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    private static Path digits;
    private static Path model;
    private static JsonNode trainReport;
    private static String trainOutput;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeAll
    static void trainOnce() throws IOException {
        digits = EmbeddedDigits.load().extractTo(dir.resolve("digits"));
        model = dir.resolve("digits.cnnkit");
        Path report = dir.resolve("train.json");
        ClassifierCommandsTest test = new ClassifierCommandsTest();
        int exit = test.run("train", "--data", digits.toString(), "--model", "cnn", "--image-size", "28",
                "--epochs", "2", "--seed", "5", "--augment", "on", "--out", model.toString(),
                "--report", report.toString(), "--plot", dir.resolve("train-plots").toString());
        assertThat(exit).as(test.err.toString()).isZero();
        trainReport = JSON.readTree(report.toFile());
        trainOutput = test.out.toString();
    }

    private int run(String... args) {
        return CliRunner.run(out, err, args);
    }

    @Test
    void trainWritesTheModelAndTheReportKeysOfTheSpec() {
        assertThat(model).isRegularFile();
        assertThat(trainReport.path("status").asText()).isEqualTo("ok");
        assertThat(trainReport.path("classes").toString()).isEqualTo("[\"0\",\"1\",\"2\"]");
        assertThat(trainReport.path("epochs").asInt()).isEqualTo(2);
        assertThat(trainReport.path("history")).hasSize(2);
        assertThat(trainReport.path("train_seconds").asDouble()).isPositive();
        JsonNode validation = trainReport.path("validation");
        assertThat(validation.path("accuracy").asDouble()).isBetween(0.0, 1.0);
        assertThat(validation.path("count").asInt()).isEqualTo(90);
        assertThat(validation.path("confusion_matrix")).hasSize(3);
        assertThat(validation.path("confusion_matrix").get(0)).hasSize(3);
        assertThat(trainReport.path("settings").path("seed").asLong()).isEqualTo(5);
        assertThat(trainReport.path("model").asText()).isEqualTo("seedcnn-notebook");
        assertThat(trainOutput).contains("epoch 1:").contains("epoch 2:").contains("confusion matrix");
    }

    @Test
    void evaluateReportsAccuracyPerClassAndConfusionMatrix() throws IOException {
        Path report = dir.resolve("evaluate.json");

        int exit = run("evaluate", "--model", model.toString(), "--data", digits.toString(), "--report", report.toString());

        assertThat(exit).as(err.toString()).isZero();
        JsonNode json = JSON.readTree(report.toFile());
        assertThat(json.path("accuracy").asDouble()).isBetween(0.0, 1.0);
        assertThat(json.path("count").asInt()).isEqualTo(450);
        assertThat(json.path("per_class")).hasSize(3);
        assertThat(json.path("per_class").get(1).path("class").asText()).isEqualTo("1");
        assertThat(json.path("per_class").get(1).has("precision")).isTrue();
        assertThat(json.path("per_class").get(1).has("f1")).isTrue();
        assertThat(json.path("per_class").get(1).path("support").asInt()).isEqualTo(150);
        assertThat(json.path("confusion_matrix")).hasSize(3);
        assertThat(out.toString()).contains("accuracy").contains("macro avg");
    }

    @Test
    void predictListsTopLabelsPerImage() throws IOException {
        Path report = dir.resolve("predict.json");
        Path first;
        try (var files = Files.list(digits.resolve("2"))) {
            first = files.sorted().findFirst().orElseThrow();
        }
        Path second;
        try (var files = Files.list(digits.resolve("0"))) {
            second = files.sorted().findFirst().orElseThrow();
        }

        int exit = run("predict", "--model", model.toString(), "--top", "2", first.toString(), second.toString(),
                "--report", report.toString());

        assertThat(exit).as(err.toString()).isZero();
        JsonNode predictions = JSON.readTree(report.toFile()).path("predictions");
        assertThat(predictions).hasSize(2);
        assertThat(predictions.get(0).path("file").asText()).isEqualTo(first.toString());
        assertThat(predictions.get(1).path("file").asText()).isEqualTo(second.toString());
        JsonNode top = predictions.get(0).path("top");
        assertThat(top).hasSize(2);
        assertThat(top.get(0).path("label").asText()).isIn("0", "1", "2");
        assertThat(top.get(0).path("probability").asDouble())
                .isGreaterThanOrEqualTo(top.get(1).path("probability").asDouble());
        assertThat(out.toString()).contains(first.toString() + ": ");
    }

    @Test
    void unknownModelOrAugmentValueIsAUsageError() {
        assertThat(run("train", "--data", digits.toString(), "--model", "resnet", "--out", "x.cnnkit")).isEqualTo(2);
        assertThat(err.toString()).contains("--model must be");
        assertThat(run("train", "--data", digits.toString(), "--model", "cnn", "--augment", "maybe",
                "--out", "x.cnnkit")).isEqualTo(2);
        assertThat(err.toString()).contains("--augment must be on or off");
    }

    @Test
    void aDamagedModelFailsWithOneLineNamingTheFile() throws IOException {
        Path broken = Files.writeString(dir.resolve("broken.cnnkit"), "not a model");

        int exit = run("evaluate", "--model", broken.toString(), "--data", digits.toString());

        assertThat(exit).isEqualTo(1);
        assertThat(err.toString().strip().lines()).hasSize(1);
        assertThat(err.toString()).contains(broken.toString()).contains("not a cnnkit model");
    }

    @Test
    void trainAndEvaluateDrawTheirPicturesAndListThemInTheReport() throws IOException {
        Path curves = dir.resolve("train-plots").resolve("training-curves.png").toAbsolutePath().normalize();
        Path validation = dir.resolve("train-plots").resolve("confusion-matrix.png").toAbsolutePath().normalize();
        assertThat(trainReport.path("plots").path("training_curves").asText()).isEqualTo(curves.toString());
        assertThat(trainReport.path("plots").path("confusion_matrix").asText()).isEqualTo(validation.toString());
        assertPicture(curves);
        assertPicture(validation);
        assertThat(trainOutput).contains("Picture: " + curves);

        Path report = dir.resolve("evaluate-plot.json");
        Path plots = dir.resolve("evaluate-plots");
        int exit = run("evaluate", "--model", model.toString(), "--data", digits.toString(), "--report",
                report.toString(), "--plot", plots.toString(), "--plot-format", "svg");

        assertThat(exit).as(err.toString()).isZero();
        Path svg = plots.resolve("confusion-matrix.svg").toAbsolutePath().normalize();
        assertThat(JSON.readTree(report.toFile()).path("plots").path("confusion_matrix").asText())
                .isEqualTo(svg.toString());
        assertThat(Files.readString(svg)).startsWith("<?xml").contains("<svg").contains("Confusion matrix, digits");
    }

    private static void assertPicture(Path png) throws IOException {
        java.awt.image.BufferedImage image = javax.imageio.ImageIO.read(png.toFile());
        assertThat(image).as(png.toString()).isNotNull();
        assertThat(image.getWidth()).isEqualTo(1000);
        assertThat(image.getHeight()).isEqualTo(600);
        java.util.Set<Integer> colours = new java.util.HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 3) {
            for (int x = 0; x < image.getWidth(); x += 3) {
                colours.add(image.getRGB(x, y));
            }
        }
        assertThat(colours.size()).as("distinct colours in " + png).isGreaterThan(20);
    }

    @Test
    void evaluateRefusesAFolderWithOtherClasses() throws IOException {
        Path other = dir.resolve("other");
        Files.createDirectories(other.resolve("7"));
        Files.createDirectories(other.resolve("8"));
        try (var files = Files.list(digits.resolve("0"))) {
            Path one = files.findFirst().orElseThrow();
            Files.copy(one, other.resolve("7").resolve("a.png"));
            Files.copy(one, other.resolve("8").resolve("a.png"));
        }

        assertThat(run("evaluate", "--model", model.toString(), "--data", other.toString())).isEqualTo(1);
        assertThat(err.toString()).contains("[7, 8]").contains("[0, 1, 2]");
    }
}
