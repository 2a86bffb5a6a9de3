package org.cnnkit.examples.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The process's peak resident set size, read from {@code VmHWM} in {@code /proc/self/status} (Linux): the same
 * figure as the PyTorch peer's {@code ru_maxrss}. It is per process and never goes down, which is why the
 * benchmark runs each workload in its own JVM.
 */
final class PeakMemory {

    private PeakMemory() {
    }

    /** Returns the peak resident memory in MiB, rounded, or -1 when {@code /proc/self/status} is not readable. */
    static long peakRssMib() {
        try {
            return parseVmHwmMib(Files.readAllLines(Path.of("/proc/self/status")));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Parses the {@code VmHWM:   123456 kB} line of a status file; -1 when there is none. */
    static long parseVmHwmMib(List<String> statusLines) {
        for (String line : statusLines) {
            if (line.startsWith("VmHWM:")) {
                String[] parts = line.substring("VmHWM:".length()).trim().split("\\s+");
                return Math.round(Long.parseLong(parts[0]) / 1024.0);
            }
        }
        return -1;
    }
}
