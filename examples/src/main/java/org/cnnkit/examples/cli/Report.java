package org.cnnkit.examples.cli;

import org.cnnkit.core.io.AtomicFiles;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.cnnkit.core.CnnkitException;

/**
 * The JSON report of one command run: what it did and what it measured, written by {@code --report FILE}.
 *
 * <p>A command fills it with dotted keys that become nested objects, in the order they are first put:
 * <pre>{@code
 * report.put("validation.accuracy", 0.98);          // {"validation": {"accuracy": 0.98}}
 * report.put("classes", List.of("0", "1", "2"));
 * report.add("predictions", Map.of("file", "a.png"));  // appends to the list "predictions"
 * }</pre>
 * Values may be numbers, strings, booleans, null, arrays, lists, maps and records (anything Jackson serialises);
 * {@link Path}s and {@link Instant}s are written as strings and {@link Duration}s as seconds. Maps are copied when put,
 * so later dotted keys can extend them.
 *
 * <p>The report always starts with {@code command}, {@code version} and {@code started} (ISO-8601 UTC) and ends with
 * {@code status} ({@code "ok"} or {@code "failed"}, with {@code error} on failure) and {@code seconds} (wall time of
 * the run). {@link CliCommand} creates, completes and writes it; commands only call {@link #put} and {@link #add}.
 * Methods are thread-safe.
 */
public final class Report {

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .registerModule(new SimpleModule("cnnkit-report")
                    .addSerializer(Path.class, ToStringSerializer.instance)
                    .addSerializer(Instant.class, ToStringSerializer.instance)
                    .addSerializer(Duration.class, new DurationSerializer()));

    private final Map<String, Object> root = new LinkedHashMap<>();
    private final long startNanos;

    /**
     * Starts a report for one command run, recording the start time.
     *
     * @param command the command's name, such as {@code "import-mnist"}
     * @param version the cnnkit version
     * @throws NullPointerException if an argument is null
     */
    public Report(String command, String version) {
        root.put("command", Objects.requireNonNull(command, "command"));
        root.put("version", Objects.requireNonNull(version, "version"));
        root.put("started", Instant.now().toString());
        startNanos = System.nanoTime();
    }

    /**
     * Sets a value under a dotted key, creating the enclosing objects; an existing value under the same key is
     * replaced.
     *
     * @param key a dotted path such as {@code "validation.accuracy"}; no empty segments
     * @param value the value (see the class description); maps are copied
     * @return this report
     * @throws IllegalArgumentException if the key is malformed, or one of its enclosing keys already holds a value
     *     that is not an object
     */
    public synchronized Report put(String key, Object value) {
        String[] path = split(key);
        parentOf(path, key).put(path[path.length - 1], copy(value));
        return this;
    }

    /**
     * Appends an element to the list under a dotted key, creating the list when it is absent.
     *
     * @param key a dotted path such as {@code "predictions"}
     * @param element the element to append (see the class description); maps are copied
     * @return this report
     * @throws IllegalArgumentException if the key is malformed or already holds something other than a list made by
     *     this method or by {@link #put} with a list
     */
    @SuppressWarnings("unchecked")
    public synchronized Report add(String key, Object element) {
        String[] path = split(key);
        Map<String, Object> parent = parentOf(path, key);
        String last = path[path.length - 1];
        Object existing = parent.get(last);
        if (existing == null) {
            existing = new ArrayList<>();
            parent.put(last, existing);
        } else if (!(existing instanceof ArrayList<?>)) {
            throw new IllegalArgumentException("report key " + key + " already holds a value that is not a list");
        }
        ((List<Object>) existing).add(copy(element));
        return this;
    }

    /**
     * Returns the value under a dotted key, or null when there is none.
     *
     * @param key a dotted path
     * @return the value as stored (maps as {@code Map<String, Object>}, lists as {@code List<Object>})
     * @throws IllegalArgumentException if the key is malformed
     */
    @SuppressWarnings("unchecked")
    public synchronized Object get(String key) {
        Object node = root;
        for (String segment : split(key)) {
            if (!(node instanceof Map<?, ?>)) {
                return null;
            }
            node = ((Map<String, Object>) node).get(segment);
        }
        return node;
    }

    /** {@return the time since the report was started, in seconds} */
    public double secondsSoFar() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** Marks the run as successful and records its duration under {@code seconds}. */
    synchronized void succeed() {
        root.put("status", "ok");
        root.put("seconds", secondsSoFar());
    }

    /**
     * Marks the run as partly successful (results for some inputs, others skipped) and records its duration under
     * {@code seconds}.
     */
    synchronized void succeedPartly() {
        root.put("status", "partial");
        root.put("seconds", secondsSoFar());
    }

    /** Marks the run as failed with a one-line message and records its duration under {@code seconds}. */
    synchronized void fail(String message) {
        root.put("status", "failed");
        root.put("error", message);
        root.put("seconds", secondsSoFar());
    }

    /**
     * Returns the report as indented JSON.
     *
     * @return the JSON text
     * @throws CnnkitException if a value cannot be serialised
     */
    public synchronized String toJson() {
        try {
            return JSON.writeValueAsString(root);
        } catch (IOException e) {
            throw new CnnkitException("cannot write the report as JSON: " + e.getMessage(), e);
        }
    }

    /**
     * Writes the report as JSON to a file atomically (a temporary file in the same folder, then a move), creating
     * the folder when missing.
     *
     * @param file the report file; replaced when it exists
     * @throws CnnkitException naming the file if it cannot be written
     */
    public void writeTo(Path file) {
        byte[] bytes = (toJson() + System.lineSeparator()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try {
            AtomicFiles.write(file, bytes);
        } catch (IOException e) {
            throw new CnnkitException("cannot write the report " + file + ": " + e, e);
        }
    }

    private static String[] split(String key) {
        Objects.requireNonNull(key, "key");
        String[] path = key.split("\\.", -1);
        for (String segment : path) {
            if (segment.isEmpty()) {
                throw new IllegalArgumentException("malformed report key: '" + key + "'");
            }
        }
        return path;
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> parentOf(String[] path, String key) {
        Map<String, Object> node = root;
        for (int i = 0; i < path.length - 1; i++) {
            Object child = node.get(path[i]);
            if (child == null) {
                child = new LinkedHashMap<String, Object>();
                node.put(path[i], child);
            } else if (!(child instanceof LinkedHashMap<?, ?>)) {
                throw new IllegalArgumentException("report key " + key + ": " + String.join(".",
                        java.util.Arrays.copyOf(path, i + 1)) + " already holds a value that is not an object");
            }
            node = (Map<String, Object>) child;
        }
        return node;
    }

    private static Object copy(Object value) {
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> copied = new LinkedHashMap<>();
            map.forEach((k, v) -> copied.put(String.valueOf(k), copy(v)));
            return copied;
        }
        if (value instanceof List<?> list) {
            List<Object> copied = new ArrayList<>(list.size());
            list.forEach(v -> copied.add(copy(v)));
            return copied;
        }
        return value;
    }

    private static final class DurationSerializer extends JsonSerializer<Duration> {
        @Override
        public void serialize(Duration value, JsonGenerator gen, SerializerProvider serializers) throws IOException {
            gen.writeNumber(value.toNanos() / 1e9);
        }
    }
}
