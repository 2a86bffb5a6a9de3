package org.cnnkit.retrieval.store.lucene;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.cnnkit.retrieval.Metric;
import org.cnnkit.retrieval.store.StoreBatch;
import org.cnnkit.retrieval.store.StoreOptions;
import org.cnnkit.retrieval.store.StoreSchema;
import org.cnnkit.retrieval.store.StoreSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a child JVM with {@code kill -9} while it writes batches into a lucene store, then checks that the store
 * opens and that every batch is wholly there or wholly absent (and every batch the child reported written is there).
 */
class LuceneStoreCrashTest {

    private static final int BATCH = 200;
    private static final int DIMENSION = 16;

    @TempDir
    Path dir;

    @Test
    void aKilledWriterLeavesEveryBatchWhollyThereOrAbsent() throws Exception {
        Path folder = dir.resolve("store");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Writer.class.getName(), folder.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        int reported = -1;
        try (BufferedReader lines = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                if (!line.startsWith("written ")) {
                    continue;
                }
                reported = Integer.parseInt(line.substring("written ".length()).trim());
                if (reported >= 3) {
                    break;
                }
            }
            // Let it go on into the next batch, then kill it mid-write (SIGKILL on Linux: no shutdown hooks).
            Thread.sleep(new Random().nextInt(200));
            child.destroyForcibly();
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(reported).as("batches the child reported written").isGreaterThanOrEqualTo(3);

        try (LuceneVectorStore store = LuceneVectorStore.open(new StoreSpec(StoreSpec.Kind.LUCENE,
                folder.toString()), StoreOptions.openExisting())) {
            Map<String, Integer> perBatch = new HashMap<>();
            store.forEachEntry((id, stamp) -> perBatch.merge(id.substring(0, id.indexOf('/')), 1, Integer::sum));
            assertThat(perBatch.values()).allMatch(count -> count == BATCH);
            for (int b = 0; b <= reported; b++) {
                assertThat(perBatch).containsKey("b" + b);
            }
            assertThat(store.size()).isEqualTo((long) perBatch.size() * BATCH);
            store.write(StoreBatch.builder().addPut("after/0", new float[DIMENSION], null).build());
            assertThat(store.contains("after/0")).isTrue();
        }
    }

    /** The child: writes batches of {@value #BATCH} vectors forever, printing {@code written N} once batch N is written. */
    public static final class Writer {

        private Writer() {
        }

        /**
         * Runs the child.
         *
         * @param args the store folder
         */
        public static void main(String[] args) {
            StoreSchema schema = new StoreSchema(DIMENSION, Metric.EUCLIDEAN, List.of(), Optional.empty(), Map.of());
            Random random = new Random(1);
            try (LuceneVectorStore store = LuceneVectorStore.open(new StoreSpec(StoreSpec.Kind.LUCENE, args[0]),
                    StoreOptions.builder().optSchemaForNewStore(schema).build())) {
                for (int b = 0; ; b++) {
                    StoreBatch.Builder batch = StoreBatch.builder();
                    for (int i = 0; i < BATCH; i++) {
                        float[] v = new float[DIMENSION];
                        for (int j = 0; j < DIMENSION; j++) {
                            v[j] = (float) random.nextGaussian();
                        }
                        batch.addPut("b" + b + "/" + i, v, null);
                    }
                    store.write(batch.build());
                    System.out.println("written " + b);
                    System.out.flush();
                }
            }
        }
    }
}
