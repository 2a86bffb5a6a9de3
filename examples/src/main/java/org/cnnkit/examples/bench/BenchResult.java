package org.cnnkit.examples.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;

/**
 * One benchmark measurement, printed as one JSON line in exactly the form of the PyTorch peer
 * ({@code json.dumps} of workload, value, unit, peer, peak_rss_mib, then the extra keys; Python's {@code ", "} and
 * {@code ": "} separators; the value rounded to 2 decimals).
 *
 * @param workload the workload name, such as {@code cnn-train-100}
 * @param value the measured rate
 * @param unit the unit of {@code value}, such as {@code images/s}
 * @param peer who was measured, such as {@code cnnkit 0.2.0 / dl4j 1.0.0-M2.1}
 * @param peakRssMib the process's peak resident memory in MiB
 * @param extra further keys in order, such as {@code batch}
 */
public record BenchResult(String workload, double value, String unit, String peer, long peakRssMib,
        Map<String, Object> extra) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Validates and copies the extra keys.
     *
     * @param workload the workload name, such as {@code cnn-train-100}
     * @param value the measured rate
     * @param unit the unit of {@code value}, such as {@code images/s}
     * @param peer who was measured, such as {@code cnnkit 0.2.0 / dl4j 1.0.0-M2.1}
     * @param peakRssMib the process's peak resident memory in MiB
     * @param extra further keys in order, such as {@code batch}
     * @throws IllegalArgumentException if a name, unit or peer is blank or the value is not finite
     */
    public BenchResult {
        if (workload == null || workload.isBlank() || unit == null || unit.isBlank() || peer == null) {
            throw new IllegalArgumentException("workload, unit and peer are required");
        }
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException("value of " + workload + " is not finite: " + value);
        }
        extra = extra == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(extra));
    }

    /**
     * Returns the JSON line, without a line break.
     *
     * @return the line, e.g. {@code {"workload": "cnn-infer-100", "value": 612.5, "unit": "images/s", ...}}
     */
    public String toJsonLine() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("workload", workload);
        fields.put("value", Math.round(value * 100.0) / 100.0);
        fields.put("unit", unit);
        fields.put("peer", peer);
        fields.put("peak_rss_mib", peakRssMib);
        fields.putAll(extra);
        StringJoiner line = new StringJoiner(", ", "{", "}");
        fields.forEach((key, v) -> line.add(json(key) + ": " + json(v)));
        return line.toString();
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value + " as JSON", e);
        }
    }
}
