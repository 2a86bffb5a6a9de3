package org.cnnkit.examples.bench;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.examples.cli.Cli;

/**
 * Runs the benchmark from the command line:
 * {@code java -cp examples/target/cnnkit.jar org.cnnkit.examples.bench.BenchMain [--in-process] [WORKLOAD...]}
 * (the CLI's {@code bench} command does the same). Prints one JSON line per workload on standard output.
 */
public final class BenchMain {

    private BenchMain() {
    }

    /**
     * Runs the named workloads (all without names), each in its own JVM unless {@code --in-process} is given.
     *
     * @param args {@code [--in-process] [--peer TEXT] [--list] [WORKLOAD...]}
     */
    public static void main(String[] args) {
        boolean inProcess = false;
        String peer = null;
        List<String> names = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--in-process" -> inProcess = true;
                case "--peer" -> peer = args[++i];
                case "--list" -> {
                    Benchmark.workloadNames().forEach(System.out::println);
                    return;
                }
                default -> names.add(args[i]);
            }
        }
        if (peer == null) {
            peer = Benchmark.peer(Cli.version());
        }
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        try {
            if (inProcess) {
                Benchmark.runInProcess(names, peer, out);
            } else {
                List<String> failed = Benchmark.runForked(names, peer, out);
                if (!failed.isEmpty()) {
                    System.err.println("bench: workloads failed: " + failed);
                    System.exit(1);
                }
            }
        } catch (CnnkitException e) {
            System.err.println("bench: " + e.getMessage());
            System.exit(1);
        }
    }
}
