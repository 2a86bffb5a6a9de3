package org.cnnkit.examples.bench;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.examples.cli.Cli;
import org.cnnkit.zoo.InferenceEngine;

/**
 * Runs the benchmark from the command line:
 * {@code java -cp examples/target/cnnkit.jar org.cnnkit.examples.bench.BenchMain [--in-process] [WORKLOAD...]}
 * (the CLI's {@code bench} command does the same). Prints one JSON line per workload on standard output.
 */
public final class BenchMain {

    private static final String USAGE = "usage: BenchMain [--in-process] [--peer TEXT] [--engine onnx|dl4j] [--list] "
            + "[WORKLOAD...]";

    private BenchMain() {
    }

    /**
     * Runs the named workloads (all without names), each in its own JVM unless {@code --in-process} is given.
     * A malformed command line prints the problem and the usage on standard error and exits with code 2.
     *
     * @param args {@code [--in-process] [--peer TEXT] [--list] [WORKLOAD...]}
     */
    public static void main(String[] args) {
        Arguments arguments;
        try {
            arguments = Arguments.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("bench: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        if (arguments.list()) {
            Benchmark.workloadNames().forEach(System.out::println);
            return;
        }
        String peer = arguments.peer() != null ? arguments.peer() : Benchmark.peer(Cli.version());
        List<String> names = arguments.names();
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        try {
            InferenceEngine engine = arguments.engine() == null ? null : InferenceEngine.parse(arguments.engine());
            if (arguments.inProcess()) {
                Benchmark.runInProcess(names, peer, engine, out);
            } else {
                List<String> failed = Benchmark.runForked(names, peer, engine, out);
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

    /**
     * The command line of {@link #main}.
     *
     * @param inProcess whether to run the workloads in this JVM
     * @param peer the peer text given with {@code --peer}, or null for the default
     * @param list whether {@code --list} came (the arguments after it are not read)
     * @param names the workloads to run, empty for all
     * @param engine the engine given with {@code --engine}, or null for the fastest available
     */
    record Arguments(boolean inProcess, String peer, boolean list, List<String> names, String engine) {

        /**
         * Parses the arguments.
         *
         * @param args the command line
         * @return the parsed arguments
         * @throws IllegalArgumentException if {@code --peer} has no value
         */
        static Arguments parse(String[] args) {
            boolean inProcess = false;
            String peer = null;
            String engine = null;
            List<String> names = new ArrayList<>();
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--in-process" -> inProcess = true;
                    case "--peer" -> {
                        if (i + 1 == args.length) {
                            throw new IllegalArgumentException("--peer needs a value (--peer TEXT)");
                        }
                        peer = args[++i];
                    }
                    case "--engine" -> {
                        if (i + 1 == args.length) {
                            throw new IllegalArgumentException("--engine needs a value (--engine onnx|dl4j)");
                        }
                        engine = args[++i];
                    }
                    case "--list" -> {
                        return new Arguments(inProcess, peer, true, List.copyOf(names), engine);
                    }
                    default -> names.add(args[i]);
                }
            }
            return new Arguments(inProcess, peer, false, List.copyOf(names), engine);
        }
    }
}
