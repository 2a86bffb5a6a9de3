package org.cnnkit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.cnnkit.core.data.ImageFolder;
import org.cnnkit.core.data.LabeledImage;
import org.cnnkit.examples.EmbeddedDigits;
import org.cnnkit.examples.PatternGallery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train --labels} and {@code evaluate-retrieval --labels}: collections in one flat folder, labelled by a CSV. */
class LabelsOptionTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @Test
    void trainReadsClassesFromTheLabelsFile() throws IOException {
        Path labels = flatten(ImageFolder.scan(EmbeddedDigits.load().extractTo(dir.resolve("digits"))),
                dir.resolve("flat"), List.of("zero", "one", "two"));
        Path report = dir.resolve("train.json");

        int exit = CliRunner.run(out, err, "train", "--data", dir.resolve("flat").toString(), "--labels",
                labels.toString(), "--model", "cnn", "--image-size", "28", "--epochs", "1", "--out",
                dir.resolve("m.cnnkit").toString(), "--report", report.toString());

        assertThat(exit).as(err.toString()).isZero();
        JsonNode json = new ObjectMapper().readTree(report.toFile());
        assertThat(json.path("classes").toString()).isEqualTo("[\"zero\",\"one\",\"two\"]");
        assertThat(json.path("labels_file").asText()).endsWith("labels.csv");
        assertThat(json.path("validation").path("count").asInt()).isEqualTo(90);
    }

    @Test
    void evaluateRetrievalReadsClassesFromTheLabelsFile() throws IOException {
        Path weights = CliRunner.mobileNetWeights();
        Path gallery = dir.resolve("gallery");
        PatternGallery.write(gallery, 3, 64, 1);
        ImageFolder scanned = ImageFolder.scan(gallery);
        Path labels = flatten(scanned, dir.resolve("flat"), scanned.classNames());
        Path report = dir.resolve("evaluate.json");

        int exit = CliRunner.run(out, err, "evaluate-retrieval", "--data", dir.resolve("flat").toString(), "--labels",
                labels.toString(), "--extractor", "mobilenetv2", "--alpha", "0.35", "--weights", weights.toString(),
                "--image-size", "64", "--report", report.toString());

        assertThat(exit).as(err.toString()).isZero();
        JsonNode json = new ObjectMapper().readTree(report.toFile());
        assertThat(json.path("queries").asInt()).isEqualTo(scanned.images().size());
        assertThat(json.path("classes").size()).isEqualTo(scanned.numClasses());
        assertThat(json.path("labels_file").asText()).endsWith("labels.csv");
        assertThat(json.path("map").asDouble()).isBetween(0.0, 1.0);
    }

    @Test
    void aBadLabelsFileEndsInOneLineNamingTheLine() throws IOException {
        Path images = EmbeddedDigits.load().extractTo(dir.resolve("digits"));
        Path labels = Files.writeString(dir.resolve("labels.csv"), "0/0-0000.png,0,zero\n0/0-0001.png,two,zero\n");

        int exit = CliRunner.run(out, err, "train", "--data", images.toString(), "--labels", labels.toString(),
                "--model", "cnn", "--out", dir.resolve("m.cnnkit").toString());

        assertThat(exit).isEqualTo(1);
        assertThat(err.toString()).contains("labels.csv line 2").contains("'two' is not a number")
                .doesNotContain("\tat ");
    }

    /** Moves every image into one flat folder and writes a labels file naming each class by {@code names}. */
    private static Path flatten(ImageFolder folder, Path flat, List<String> names) throws IOException {
        Files.createDirectories(flat);
        StringBuilder csv = new StringBuilder("filename,class_index,class_name\n");
        for (LabeledImage image : folder.images()) {
            String name = names.get(image.label()) + "-" + image.path().getFileName();
            Files.copy(image.path(), flat.resolve(name));
            csv.append(name).append(',').append(image.label()).append(',').append(names.get(image.label())).append('\n');
        }
        return Files.writeString(flat.resolve("labels.csv"), csv);
    }
}
