package org.cnnkit.examples.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.plot.ChartFormat;
import org.cnnkit.core.runtime.NativeRuntime;
import org.cnnkit.examples.bench.BenchChart;
import org.cnnkit.examples.bench.BenchLines;
import org.cnnkit.examples.bench.BenchResult;
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
 * <p>With {@code --plot FILE} the results are also drawn as a bar chart ({@link BenchChart}), beside the peers' lines
 * given with {@code --peer FILE} (the saved output of {@code pytorch_peer.py}, for example).
 *
 * <p>Report keys: {@code workloads} (names run), {@code failed} (names whose run failed), {@code in_process},
 * {@code runtime} (the native runtime's one-line description), {@code plot} (the picture's path, with
 * {@code --plot}), {@code peers} (the {@code --peer} files).
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

    @Option(names = "--plot", paramLabel = "FILE",
            description = "Also draw the results as a bar chart into FILE (.png or .svg), beside the --peer lines.")
    private Path plot;

    @Option(names = "--peer", paramLabel = "FILE",
            description = "With --plot: a peer's JSON lines (e.g. the saved output of pytorch_peer.py) to draw beside "
                    + "cnnkit's; repeatable.")
    private List<Path> peerFiles = new ArrayList<>();

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
        List<BenchResult> peers = readPeers();
        report.put("workloads", names);
        report.put("in_process", inProcess);
        String peer = Benchmark.peer(Cli.version());
        List<String> failed = List.of();
        StringWriter lines = new StringWriter();
        PrintWriter sink = plot == null ? out() : new PrintWriter(new Tee(out(), lines), true);
        if (inProcess) {
            NativeRuntime.ensureConfigured();
            report.put("runtime", NativeRuntime.describe());
            Benchmark.runInProcess(names, peer, engine.engineOrDefault(), sink);
        } else {
            failed = Benchmark.runForked(names, peer, engine.engineOrDefault(), sink);
        }
        sink.flush();
        report.put("failed", failed);
        if (plot != null) {
            List<BenchResult> ours = BenchLines.parse(lines.toString().lines().toList(), "this run");
            if (!ours.isEmpty()) {
                BenchChart.write(ours, peers, plot);
                report.put("plot", plot.toAbsolutePath().normalize());
                report.put("peers", peerFiles);
                out().println("Picture: " + plot.toAbsolutePath().normalize());
            }
        }
        if (!failed.isEmpty()) {
            throw new CnnkitException("workloads failed (their errors are above): " + failed);
        }
    }

    /** Checks --plot and reads the --peer files before the (long) benchmark runs. */
    private List<BenchResult> readPeers() {
        if (plot == null) {
            if (!peerFiles.isEmpty()) {
                throw usageError("--peer needs --plot FILE: the peer lines are only drawn");
            }
            return List.of();
        }
        try {
            ChartFormat.of(plot);
        } catch (CnnkitException e) {
            throw usageError("--plot: " + e.getMessage());
        }
        List<BenchResult> peers = new ArrayList<>();
        peerFiles.forEach(file -> peers.addAll(BenchLines.read(file)));
        return peers;
    }

    /** Passes the benchmark lines on to the output as they come and keeps a copy to draw. */
    private static final class Tee extends Writer {

        private final Writer first;
        private final Writer second;

        Tee(Writer first, Writer second) {
            this.first = first;
            this.second = second;
        }

        @Override
        public void write(char[] buffer, int offset, int length) throws java.io.IOException {
            first.write(buffer, offset, length);
            second.write(buffer, offset, length);
        }

        @Override
        public void flush() throws java.io.IOException {
            first.flush();
            second.flush();
        }

        @Override
        public void close() throws java.io.IOException {
            flush();
        }
    }
}
