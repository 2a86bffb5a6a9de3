package org.cnnkit.examples.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cnnkit.core.CnnkitException;

/**
 * Reads benchmark JSON lines, cnnkit's or a peer's ({@code pytorch_peer.py} and the other peers print the same
 * keys): every line that starts with {@code {} is one measurement with at least {@code workload}, {@code value},
 * {@code unit} and {@code peer}; other lines (a library's banner on standard output) are skipped.
 */
public final class BenchLines {

    private static final ObjectMapper JSON = new ObjectMapper();

    private BenchLines() {
    }

    /**
     * Reads the measurements of a file of JSON lines.
     *
     * @param file the file, such as the saved output of {@code pytorch_peer.py}
     * @return the measurements, in file order
     * @throws CnnkitException if the file cannot be read, holds no measurement, or a line is malformed (the message
     *     names the file and line)
     */
    public static List<BenchResult> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CnnkitException("cannot read the benchmark lines " + file + ": " + e.getMessage(), e);
        }
        List<BenchResult> results = parse(lines, file.toString());
        if (results.isEmpty()) {
            throw new CnnkitException("no benchmark lines (JSON objects with workload, value, unit, peer) in " + file);
        }
        return results;
    }

    /**
     * Parses the measurements among lines of text.
     *
     * @param lines the lines; those that do not start with {@code {} are skipped
     * @param source where the lines come from, for error messages
     * @return the measurements, in order
     * @throws CnnkitException if a JSON line is malformed or lacks a key (the message names the source and line)
     */
    public static List<BenchResult> parse(List<String> lines, String source) {
        List<BenchResult> results = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (!line.startsWith("{")) {
                continue;
            }
            String where = source + " line " + (i + 1);
            try {
                results.add(toResult(JSON.readTree(line), where));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new CnnkitException(where + " is not a JSON object: " + e.getOriginalMessage(), e);
            }
        }
        return results;
    }

    private static BenchResult toResult(JsonNode node, String where) {
        for (String key : List.of("workload", "value", "unit", "peer")) {
            if (!node.hasNonNull(key)) {
                throw new CnnkitException(where + " has no '" + key + "': a benchmark line needs workload, value, "
                        + "unit and peer");
            }
        }
        if (!node.get("value").isNumber() || !Double.isFinite(node.get("value").asDouble())) {
            throw new CnnkitException(where + ": value is not a finite number: " + node.get("value"));
        }
        Map<String, Object> extra = new LinkedHashMap<>();
        node.fields().forEachRemaining(field -> {
            if (!List.of("workload", "value", "unit", "peer", "peak_rss_mib").contains(field.getKey())) {
                extra.put(field.getKey(), JSON.convertValue(field.getValue(), Object.class));
            }
        });
        try {
            return new BenchResult(node.get("workload").asText(), node.get("value").asDouble(),
                    node.get("unit").asText(), node.get("peer").asText(), node.path("peak_rss_mib").asLong(0), extra);
        } catch (IllegalArgumentException e) {
            throw new CnnkitException(where + ": " + e.getMessage(), e);
        }
    }
}
