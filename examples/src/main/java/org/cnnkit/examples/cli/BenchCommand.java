package org.cnnkit.examples.cli;

import java.util.ArrayList;
import java.util.List;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.runtime.NativeRuntime;
import org.cnnkit.examples.bench.Benchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bench [WORKLOAD...]}: runs the benchmark workloads and prints one JSON line per workload on standard output,
 * exactly as {@code ../shared/bench/pytorch_peer.py} does (same names and shapes), plus the image pipeline's
 * workloads. Each workload runs in its own child JVM, so that its {@code peak_rss_mib} is its own.
 *
 * <p>Report keys: {@code workloads} (names run), {@code failed} (names whose run failed), {@code in_process},
 * {@code runtime} (the native runtime's one-line description).
 */
@Command(name = "bench",
        mixinStandardHelpOptions = true,
        description = "Runs the benchmark workloads (all without names) and prints one JSON line each, like the "
                + "PyTorch peer pytorch_peer.py.")
public final class BenchCommand extends CliCommand {

    @Parameters(paramLabel = "WORKLOAD", arity = "0..*",
            description = "Workloads to run (default: all); see --list.")
    private List<String> workloads = new ArrayList<>();

    @Mixin
    private EngineOption engine;

    @Option(names = "--list", description = "Print the workload names and exit.")
    private boolean list;

    @Option(names = "--in-process",
            description = "Run every workload in this JVM instead of one child JVM each (peak memory then "
                    + "accumulates over the workloads).")
    private boolean inProcess;

    /** Creates the command; picocli fills in its options. */
    public BenchCommand() {
    }

    /**
     * Runs the workloads and prints their lines.
     *
     * @param report filled with the keys listed in the class description
     * @throws CnnkitException if a workload failed or a child JVM could not be started
     */
    @Override
    protected void run(Report report) {
        if (list) {
            Benchmark.workloadNames().forEach(out()::println);
            out().flush();
            return;
        }
        List<String> names;
        try {
            names = Benchmark.select(workloads);
        } catch (CnnkitException e) {
            throw usageError(e.getMessage());
        }
        report.put("workloads", names);
        report.put("in_process", inProcess);
        String peer = Benchmark.peer(Cli.version());
        List<String> failed = List.of();
        if (inProcess) {
            NativeRuntime.ensureConfigured();
            report.put("runtime", NativeRuntime.describe());
            Benchmark.runInProcess(names, peer, engine.engineOrDefault(), out());
        } else {
            failed = Benchmark.runForked(names, peer, engine.engineOrDefault(), out());
        }
        report.put("failed", failed);
        if (!failed.isEmpty()) {
            throw new CnnkitException("workloads failed (their errors are above): " + failed);
        }
    }
}
