package org.cnnkit.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ThreadCpuTest {

    @Test
    void threadsAreGroupedByTheirTruncatedSystemNames() {
        assertThat(ThreadCpu.groupOf("cnnkit-serve-de")).isEqualTo("decode");
        assertThat(ThreadCpu.groupOf("cnnkit-batch-de")).isEqualTo("decode");
        assertThat(ThreadCpu.groupOf("cnnkit-prepare-")).isEqualTo("decode");
        assertThat(ThreadCpu.groupOf("cnnkit-serve-se")).isEqualTo("network");
        assertThat(ThreadCpu.groupOf("java")).isEqualTo("native");
        assertThat(ThreadCpu.groupOf("cnnkit-serve-ht")).isEqualTo("http");
        assertThat(ThreadCpu.groupOf("C2 CompilerThre")).isEqualTo("jit");
        assertThat(ThreadCpu.groupOf("C1 CompilerThre")).isEqualTo("jit");
        assertThat(ThreadCpu.groupOf("GC Thread#0")).isEqualTo("gc");
        assertThat(ThreadCpu.groupOf("G1 Conc#0")).isEqualTo("gc");
        assertThat(ThreadCpu.groupOf("VM Thread")).isEqualTo("other");
    }

    @Test
    void secondsByGroupAddsEachThreadsTicksSinceTheEarlierSnapshot() {
        Map<String, ThreadCpu.Sample> before = Map.of(
                "1", new ThreadCpu.Sample("cnnkit-serve-de", 100),
                "2", new ThreadCpu.Sample("cnnkit-serve-de", 50),
                "3", new ThreadCpu.Sample("C2 CompilerThre", 400));
        Map<String, ThreadCpu.Sample> after = Map.of(
                "1", new ThreadCpu.Sample("cnnkit-serve-de", 150),
                "2", new ThreadCpu.Sample("cnnkit-serve-de", 75),
                "3", new ThreadCpu.Sample("C2 CompilerThre", 410),
                "4", new ThreadCpu.Sample("cnnkit-serve-ht", 20)); // started in between: all its ticks count

        Map<String, Double> seconds = ThreadCpu.secondsByGroup(before, after);

        assertThat(seconds.keySet()).containsExactlyElementsOf(ThreadCpu.GROUPS);
        assertThat(seconds.get("decode")).isEqualTo(0.75);
        assertThat(seconds.get("jit")).isEqualTo(0.10);
        assertThat(seconds.get("http")).isEqualTo(0.20);
        assertThat(seconds.get("network")).isZero();
    }

    @Test
    void endedIsTheProcessCpuBeyondTheThreadsStillThere() {
        Map<String, Double> seconds = ThreadCpu.secondsByGroup(Map.of(),
                Map.of("1", new ThreadCpu.Sample("cnnkit-serve-de", 150)));

        Map<String, Double> all = ThreadCpu.withEnded(seconds, 2.0);

        assertThat(all.get(ThreadCpu.ENDED)).isEqualTo(0.5);
        assertThat(all.get("decode")).isEqualTo(1.5);
        assertThat(ThreadCpu.withEnded(seconds, 1.4).get(ThreadCpu.ENDED)).as("ticks rounded apart").isZero();
    }

    @Test
    void withoutProcThereAreNoGroups() {
        Map<String, Double> seconds = ThreadCpu.secondsByGroup(Map.of(), Map.of());

        assertThat(seconds).isEmpty();
        assertThat(ThreadCpu.withEnded(seconds, 3.0)).isEmpty();
    }

    @Test
    void aSnapshotOfThisProcessNamesItsThreadsOnLinux() {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "no /proc: not Linux");

        Map<String, ThreadCpu.Sample> threads = ThreadCpu.snapshot(ProcessHandle.current().pid());

        assertThat(threads).isNotEmpty();
        assertThat(threads.values()).allSatisfy(sample -> assertThat(sample.ticks()).isNotNegative());
        assertThat(threads.values()).anySatisfy(sample ->
                assertThat(ThreadCpu.groupOf(sample.name())).isEqualTo("jit"));
    }

    @Test
    void aSnapshotOfAProcessThatDoesNotExistIsEmpty() {
        assertThat(ThreadCpu.snapshot(Long.MAX_VALUE)).isEmpty();
    }
}
