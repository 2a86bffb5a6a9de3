package org.cnnkit.retrieval;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.Color;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cnnkit.retrieval.store.StoreOptions;
import org.cnnkit.retrieval.store.StoreSpec;
import org.cnnkit.retrieval.store.VectorStore;
import org.cnnkit.retrieval.store.VectorStores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #20's scenario: two processes index the sibling folders {@code a/} and {@code b/} (40 images each) into one
 * {@code x.cfi} at the same time; afterwards the file holds all 80 entries. Runs {@code -Dcnnkit.twoWriterRuns=N}
 * times (2 by default; 20 for the goal).
 */
class TwoWriterIndexingTest {

    private static final int IMAGES = 40;

    @TempDir
    Path dir;

    @Test
    void twoProcessesIndexingSiblingFoldersIntoOneFileKeepAllEntries() throws Exception {
        int runs = Integer.getInteger("cnnkit.twoWriterRuns", 2);
        Path a = draw(dir.resolve("a"), 1);
        Path b = draw(dir.resolve("b"), 2);
        for (int run = 0; run < runs; run++) {
            Path store = dir.resolve("x" + run + ".cfi");
            Process first = start(a, store, run, "a");
            Process second = start(b, store, run, "b");
            assertThat(first.waitFor(5, TimeUnit.MINUTES)).as("writer a finished").isTrue();
            assertThat(second.waitFor(5, TimeUnit.MINUTES)).as("writer b finished").isTrue();
            assertThat(first.exitValue()).as(log(run, "a")).isZero();
            assertThat(second.exitValue()).as(log(run, "b")).isZero();

            try (VectorStore opened = VectorStores.open(StoreSpec.parse("exact:" + store),
                    StoreOptions.openExisting())) {
                List<String> ids = new ArrayList<>();
                opened.forEachEntry((id, stamp) -> ids.add(id));
                assertThat(ids).as("run %d", run).hasSize(2 * IMAGES)
                        .contains("a/img0.png", "a/img39.png", "b/img0.png", "b/img39.png");
            }
        }
    }

    private Process start(Path folder, Path store, int run, String name) throws Exception {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), IndexFolderChild.class.getName(), folder.toString(),
                "exact:" + store);
        Path log = dir.resolve("run" + run + "-" + name + ".log");
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private String log(int run, String name) throws Exception {
        return Files.readString(dir.resolve("run" + run + "-" + name + ".log"), StandardCharsets.UTF_8);
    }

    private static Path draw(Path folder, int seed) {
        for (int i = 0; i < IMAGES; i++) {
            Color background = new Color((seed * 60 + i * 23) % 256, (i * 41) % 256, (seed * 90 + i * 7) % 256);
            Color shape = new Color((i * 67) % 256, (seed * 30 + i * 91) % 256, (i * 53) % 256);
            TinyExtractor.drawPng(folder.resolve("img" + i + ".png"), background, shape, i % 2 == 0, 20);
        }
        return folder;
    }
}
