package org.cnnkit.retrieval.store;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Kills a child JVM (kill -9) while it writes numbered batches into a store ({@link StoreCrashWriter}), reopens
 * the store and checks that every batch is wholly there or wholly absent, and that every batch the child reported
 * committed is there. Reusable for every store kind: give it a spec and the store's parameters.
 *
 * <pre>{@code
 * StoreCrashHarness.Outcome outcome = new StoreCrashHarness(spec, Map.of(), folder).killDuringWrites(5);
 * }</pre>
 */
public final class StoreCrashHarness {

    private static final int DIMENSION = 32;
    private static final int BATCH_SIZE = 200;
    private static final int BATCHES = 100_000;
    private static final Duration CHILD_TIMEOUT = Duration.ofMinutes(3);

    private final StoreSpec spec;
    private final Map<String, String> parameters;
    private final Path logFolder;

    /**
     * Creates the harness.
     *
     * @param spec the store the child writes into (a new one, or one only this harness writes)
     * @param parameters the store's parameters, for the child and for reopening
     * @param logFolder where the child's standard error goes ({@code crash-child.log})
     */
    public StoreCrashHarness(StoreSpec spec, Map<String, String> parameters, Path logFolder) {
        this.spec = spec;
        this.parameters = Map.copyOf(parameters);
        this.logFolder = logFolder;
    }

    /**
     * What a killed run left.
     *
     * @param reportedCommitted how many batches the child reported committed before it was killed
     * @param wholeBatches how many batches are wholly in the store afterwards
     */
    public record Outcome(int reportedCommitted, int wholeBatches) {
    }

    /**
     * Starts the child, kills it with {@link Process#destroyForcibly()} once it has reported {@code killAfter}
     * committed batches (so the kill lands in the middle of a later write), reopens the store and checks it.
     *
     * @param killAfter committed batches to wait for before the kill, at least 1
     * @return what the store holds
     * @throws AssertionError if a batch is partly there or a reported batch is missing
     */
    public Outcome killDuringWrites(int killAfter) throws IOException, InterruptedException {
        return killDuringWrites(killAfter, BATCH_SIZE);
    }

    /**
     * As {@link #killDuringWrites(int)}, with batches of another size (a store may write large batches another way).
     *
     * @param killAfter committed batches to wait for before the kill, at least 1
     * @param batchSize the entries of each batch
     * @return what the store holds
     * @throws AssertionError if a batch is partly there or a reported batch is missing
     */
    public Outcome killDuringWrites(int killAfter, int batchSize) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path"), StoreCrashWriter.class.getName(),
                spec.toString(), Integer.toString(DIMENSION), Integer.toString(batchSize),
                Integer.toString(BATCHES)));
        parameters.forEach((key, value) -> command.add(key + "=" + value));
        Process child = new ProcessBuilder(command)
                .redirectError(logFolder.resolve("crash-child.log").toFile()).start();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // The child was killed: its output ends here.
            }
        });
        reader.start();
        int reported = 0;
        long deadline = System.nanoTime() + CHILD_TIMEOUT.toNanos();
        try {
            while (reported < killAfter) {
                String line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (line == null) {
                    throw new AssertionError("the writer reported " + reported + " of " + killAfter + " batches in "
                            + CHILD_TIMEOUT + " (alive: " + child.isAlive() + "); see "
                            + logFolder.resolve("crash-child.log"));
                }
                if (line.startsWith("committed ")) {
                    reported++;
                }
            }
        } finally {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
            reader.join(10_000);
        }
        for (String line = lines.poll(); line != null; line = lines.poll()) {
            if (line.startsWith("committed ")) {
                reported++;
            }
        }
        return check(reported, batchSize);
    }

    private Outcome check(int reported, int batchSize) {
        StoreOptions.Builder options = StoreOptions.builder();
        parameters.forEach(options::addParameter);
        Map<Integer, Integer> perBatch = new HashMap<>();
        Map<Integer, String> wrongStamp = new HashMap<>();
        try (VectorStore store = VectorStores.open(spec, options.build())) {
            store.forEachEntry((id, stamp) -> {
                int batch = Integer.parseInt(id.substring("batch".length(), id.indexOf('/')));
                perBatch.merge(batch, 1, Integer::sum);
                if (!("batch " + batch).equals(stamp)) {
                    wrongStamp.put(batch, id + " has the stamp " + stamp);
                }
            });
            if (!wrongStamp.isEmpty()) {
                throw new AssertionError("entries with wrong stamps: " + wrongStamp.values());
            }
            for (var entry : perBatch.entrySet()) {
                if (entry.getValue() != batchSize) {
                    throw new AssertionError("batch " + entry.getKey() + " is partly in the store after the kill: "
                            + entry.getValue() + " of " + batchSize + " entries");
                }
            }
            for (int b = 0; b < reported; b++) {
                if (!perBatch.containsKey(b)) {
                    throw new AssertionError("batch " + b + " was reported committed but is not in the store");
                }
            }
            for (int b : perBatch.keySet()) {
                if (b > reported) {
                    throw new AssertionError("batch " + b + " is in the store but batch " + reported
                            + " was the next to write when the child was killed");
                }
            }
            // A search still works on what is left.
            store.search(new float[][] {StoreCrashWriter.batch(0, 1, DIMENSION).puts().get(0).vector()}, 3);
        } catch (RuntimeException e) {
            throw new UncheckedIOException(new IOException("the store " + spec + " does not open cleanly after the "
                    + "kill: " + e.getMessage(), e));
        }
        return new Outcome(reported, perBatch.size());
    }
}
