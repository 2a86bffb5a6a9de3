package org.cnnkit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    record Match(String file, double distance) {
    }

    @Test
    void dottedKeysBecomeNestedObjectsAfterTheStandardKeys() throws IOException {
        Report report = new Report("train", "1.2.3");
        report.put("validation.accuracy", 0.75);
        report.put("validation.confusion_matrix", new int[][] {{3, 1}, {0, 4}});
        report.put("epochs", 5);

        JsonNode json = JSON.readTree(report.toJson());

        assertThat(json.fieldNames()).toIterable()
                .containsExactly("command", "version", "started", "validation", "epochs");
        assertThat(json.get("command").asText()).isEqualTo("train");
        assertThat(json.get("version").asText()).isEqualTo("1.2.3");
        assertThat(json.at("/validation/accuracy").asDouble()).isEqualTo(0.75);
        assertThat(json.at("/validation/confusion_matrix/0/1").asInt()).isEqualTo(1);
    }

    @Test
    void addAppendsRecordsAndMapsToAListAndPathsAndDurationsReadWell() throws IOException {
        Report report = new Report("search", "v");
        Map<String, Object> result = new HashMap<>();
        result.put("query", Path.of("q.png"));
        result.put("matches", List.of(new Match("a.png", 0.5)));
        report.add("results", result);
        report.add("results", Map.of("query", "r.png"));
        report.put("timing.extract", Duration.ofMillis(1500));

        JsonNode json = JSON.readTree(report.toJson());

        assertThat(json.get("results")).hasSize(2);
        assertThat(json.at("/results/0/query").asText()).isEqualTo("q.png");
        assertThat(json.at("/results/0/matches/0/file").asText()).isEqualTo("a.png");
        assertThat(json.at("/results/0/matches/0/distance").asDouble()).isEqualTo(0.5);
        assertThat(json.at("/timing/extract").asDouble()).isEqualTo(1.5);
    }

    @Test
    void aPutMapCanBeExtendedWithDottedKeys() {
        Report report = new Report("x", "v");
        report.put("per_class", Map.of("cat", 1));
        report.put("per_class.dog", 2);

        assertThat(report.get("per_class.cat")).isEqualTo(1);
        assertThat(report.get("per_class.dog")).isEqualTo(2);
    }

    @Test
    void aKeyBelowAPlainValueOrAMalformedKeyIsRefused() {
        Report report = new Report("x", "v");
        report.put("accuracy", 0.5);

        assertThatThrownBy(() -> report.put("accuracy.top1", 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("accuracy");
        assertThatThrownBy(() -> report.put("a..b", 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> report.add("accuracy", 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void succeedAndFailAddStatusAndSeconds() throws IOException {
        Report ok = new Report("x", "v");
        ok.succeed();
        Report failed = new Report("x", "v");
        failed.fail("file not found: a");

        JsonNode okJson = JSON.readTree(ok.toJson());
        JsonNode failedJson = JSON.readTree(failed.toJson());

        assertThat(okJson.get("status").asText()).isEqualTo("ok");
        assertThat(okJson.get("seconds").isNumber()).isTrue();
        assertThat(failedJson.get("status").asText()).isEqualTo("failed");
        assertThat(failedJson.get("error").asText()).isEqualTo("file not found: a");
    }

    @Test
    void writeToReplacesTheFileAtomicallyAndCreatesFolders(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("a/b/report.json");
        new Report("x", "v").put("n", 1).writeTo(file);
        new Report("x", "v").put("n", 2).writeTo(file);

        assertThat(JSON.readTree(file.toFile()).get("n").asInt()).isEqualTo(2);
        try (var files = Files.list(file.getParent())) {
            assertThat(files).containsExactly(file);
        }
    }
}
