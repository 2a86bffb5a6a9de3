package org.cnnkit.examples.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CPU time of a process's threads, by kind of thread, read from {@code /proc/PID/task/TID/stat} (Linux; elsewhere
 * every snapshot is empty): so that {@code serve-search} can say where the CPU of a search goes (decoding, the
 * network, HTTP, the JIT compilers, the garbage collector), for the server and for the library's batched search alike.
 *
 * <p>Threads are grouped by their system names (at most 15 characters): {@code cnnkit-serve-decode-N} and
 * {@code cnnkit-batch-decode-N} (with {@code cnnkit-prepare-next-batch}, which hands them a batch) are
 * {@code decode}; {@code cnnkit-serve-search} is {@code network} (the worker, which
 * runs ONNX Runtime's first intra-op thread and the store search); {@code java} is {@code native} (threads the JVM
 * did not name: ONNX Runtime's other intra-op threads, and the launcher's main thread, which runs the library's
 * batched search); {@code cnnkit-serve-http-N} is {@code http}; compiler threads {@code jit}; garbage collection
 * threads {@code gc}; the rest {@code other}.
 */
final class ThreadCpu {

    /** The groups, in the order they are reported. */
    static final List<String> GROUPS = List.of("decode", "network", "native", "http", "jit", "gc", "other");
    /**
     * The CPU of threads that ended before the later snapshot ({@link #withEnded}): the process's CPU less that of
     * the threads still there, such as the library's {@code cnnkit-prepare-next-batch}, made for each call.
     */
    static final String ENDED = "ended";

    private static final long TICKS_PER_SECOND = 100;

    private ThreadCpu() {
    }

    /**
     * Reads the CPU ticks of every thread of a process now.
     *
     * @param pid the process
     * @return per thread id, its name and CPU ticks; empty where {@code /proc} cannot be read
     */
    static Map<String, Sample> snapshot(long pid) {
        Map<String, Sample> threads = new HashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    // utime and stime, fields 14 and 15 of stat (11 and 12 after the name)
                    threads.put(task.getFileName().toString(),
                            new Sample(name, Long.parseLong(fields[11]) + Long.parseLong(fields[12])));
                } catch (IOException | RuntimeException e) {
                    // the thread ended between the listing and the read: it counts as absent
                }
            }
        } catch (IOException e) {
            return Map.of();
        }
        return threads;
    }

    /**
     * The CPU seconds each group of threads used between two snapshots (threads that ended in between are missed).
     *
     * @param before the earlier snapshot
     * @param after the later snapshot
     * @return seconds per group, every group of {@link #GROUPS} present in order; empty when the later snapshot is
     *     (no {@code /proc})
     */
    static Map<String, Double> secondsByGroup(Map<String, Sample> before, Map<String, Sample> after) {
        if (after.isEmpty()) {
            return Map.of();
        }
        Map<String, Double> seconds = new LinkedHashMap<>();
        GROUPS.forEach(group -> seconds.put(group, 0.0));
        after.forEach((tid, sample) -> {
            Sample earlier = before.get(tid);
            long ticks = sample.ticks() - (earlier == null ? 0 : earlier.ticks());
            seconds.merge(groupOf(sample.name()), (double) ticks / TICKS_PER_SECOND, Double::sum);
        });
        return seconds;
    }

    /**
     * Adds {@link #ENDED} to the groups' seconds: what the whole process used beyond the threads still there.
     *
     * @param seconds seconds per group, from {@link #secondsByGroup}
     * @param processSeconds the process's CPU seconds over the same time (its ended threads included)
     * @return the groups' seconds and {@code ended} (never negative: the process's and the threads' clock ticks are
     *     rounded apart); empty when {@code seconds} is
     */
    static Map<String, Double> withEnded(Map<String, Double> seconds, double processSeconds) {
        if (seconds.isEmpty()) {
            return Map.of();
        }
        Map<String, Double> all = new LinkedHashMap<>(seconds);
        double threads = seconds.values().stream().mapToDouble(Double::doubleValue).sum();
        all.put(ENDED, Math.max(0.0, processSeconds - threads));
        return all;
    }

    /** The group of a thread by its system name. */
    static String groupOf(String name) {
        if (name.startsWith("cnnkit-serve-de") || name.startsWith("cnnkit-batch-de")
                || name.startsWith("cnnkit-prepare")) {
            return "decode";
        } else if (name.startsWith("cnnkit-serve-se")) {
            return "network";
        } else if (name.equals("java")) {
            return "native";
        } else if (name.startsWith("cnnkit-serve-ht")) {
            return "http";
        } else if (name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler")) {
            return "jit";
        } else if (name.startsWith("GC Thread") || name.startsWith("G1 ")) {
            return "gc";
        }
        return "other";
    }

    /**
     * One thread's state in a snapshot.
     *
     * @param name the thread's system name
     * @param ticks its user and system CPU time, in clock ticks (1/100 s)
     */
    record Sample(String name, long ticks) {
    }
}
