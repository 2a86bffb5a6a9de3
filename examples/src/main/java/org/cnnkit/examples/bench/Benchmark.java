package org.cnnkit.examples.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.zoo.InferenceEngine;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * cnnkit's benchmark suite: the PyTorch peer's workloads ({@code ../shared/bench/pytorch_peer.py}) with the same
 * names, shapes, batch sizes and iteration counts, plus the image pipeline's own workloads. Each workload prints one
 * JSON line in the peer's format (see {@link BenchResult}).
 *
 * <p>Peak memory is per process, so by default every workload runs in its own child JVM (same java, same class
 * path, same JVM options): each line's {@code peak_rss_mib} is that workload's alone, comparable to running the peer
 * once per workload ({@code pytorch_peer.py NAME}). {@link #runInProcess} runs them in this JVM instead.
 */
public final class Benchmark {

    private static final Map<String, BiFunction<String, InferenceEngine, BenchResult>> WORKLOADS = workloads();

    private Benchmark() {
    }

    /** The workloads: each takes the peer text and the inference engine (null: the fastest available). */
    private static Map<String, BiFunction<String, InferenceEngine, BenchResult>> workloads() {
        Map<String, BiFunction<String, InferenceEngine, BenchResult>> w = new LinkedHashMap<>();
        w.put("cnn-train-100", (peer, engine) -> NetworkWorkloads.cnnTrain(peer));
        w.put("cnn-infer-100", NetworkWorkloads::cnnInfer);
        w.put("mnv2-a1.0-infer-224", (peer, engine) -> NetworkWorkloads.mobileNetV2Infer("mnv2-a1.0-infer-224", 1.0,
                224, peer, engine));
        w.put("mnv2-a1.0-infer-100", (peer, engine) -> NetworkWorkloads.mobileNetV2Infer("mnv2-a1.0-infer-100", 1.0,
                100, peer, engine));
        w.put("mnv2-a0.35-infer-224", (peer, engine) -> NetworkWorkloads.mobileNetV2Infer("mnv2-a0.35-infer-224",
                0.35, 224, peer, engine));
        w.put("mnv2-a0.35-infer-100", (peer, engine) -> NetworkWorkloads.mobileNetV2Infer("mnv2-a0.35-infer-100",
                0.35, 100, peer, engine));
        w.put("mnv2-a1.0-frozen-train-100", (peer, engine) -> NetworkWorkloads.mobileNetV2FrozenTrain(peer));
        w.put("mnv2-a0.35-finetune-100", (peer, engine) -> NetworkWorkloads.mobileNetV2FineTune(peer));
        w.put("vgg16-fc2-224", NetworkWorkloads::vgg16Fc2);
        w.put(IndexQueryWorkload.NAME, (peer, engine) -> IndexQueryWorkload.run(peer));
        w.put(AnnWorkload.NAME, (peer, engine) -> AnnWorkload.run(peer));
        w.put(PostgresAnnWorkload.NAME, (peer, engine) -> PostgresAnnWorkload.run(peer));
        w.put("pipeline-decode-augment-100", (peer, engine) -> PipelineWorkload.run("pipeline-decode-augment-100", 100,
                peer));
        w.put("pipeline-decode-augment-224", (peer, engine) -> PipelineWorkload.run("pipeline-decode-augment-224", 224,
                peer));
        w.put(ExtractionPipelineWorkload.NAME, ExtractionPipelineWorkload::run);
        w.put(ServeSearchWorkload.NAME, (peer, engine) -> ServeSearchWorkload.run(peer));
        w.put(SearchDefaultsWorkload.NAME, (peer, engine) -> SearchDefaultsWorkload.run(peer));
        w.put(SparkOverheadWorkload.NAME, SparkOverheadWorkload::run);
        return java.util.Collections.unmodifiableMap(w);
    }

    /**
     * Returns the workload names in the order they run when none are named.
     *
     * @return the names, the PyTorch peer's first
     */
    public static List<String> workloadNames() {
        return List.copyOf(WORKLOADS.keySet());
    }

    /**
     * Returns what the lines' {@code peer} key says: cnnkit's and DL4J's versions.
     *
     * @param cnnkitVersion the cnnkit version, such as {@code 0.2.0}
     * @return for example {@code cnnkit 0.2.0 / dl4j 1.0.0-M2.1}
     */
    public static String peer(String cnnkitVersion) {
        String dl4j = ComputationGraph.class.getPackage().getImplementationVersion();
        return "cnnkit " + cnnkitVersion + " / dl4j " + (dl4j == null ? "1.0.0-M2.1" : dl4j);
    }

    /**
     * Checks workload names.
     *
     * @param names the names asked for; empty means all
     * @return the names to run, in the given order (all of them when none were given)
     * @throws CnnkitException if a name is unknown, listing the known ones
     */
    public static List<String> select(List<String> names) {
        if (names == null || names.isEmpty()) {
            return workloadNames();
        }
        List<String> unknown = names.stream().filter(n -> !WORKLOADS.containsKey(n)).toList();
        if (!unknown.isEmpty()) {
            throw new CnnkitException("unknown workload(s) " + unknown + "; known: " + workloadNames());
        }
        return List.copyOf(names);
    }

    /**
     * Runs workloads in this JVM, printing one JSON line each as it finishes.
     *
     * @param names the workloads (see {@link #select})
     * @param peer the {@code peer} value
     * @param engine the engine of the inference workloads (null: the fastest available)
     * @param out where the lines go
     * @throws CnnkitException if a name is unknown
     */
    public static void runInProcess(List<String> names, String peer, InferenceEngine engine, PrintWriter out) {
        for (String name : select(names)) {
            out.println(WORKLOADS.get(name).apply(peer, engine).toJsonLine());
            out.flush();
        }
    }

    /**
     * Runs each workload in its own child JVM (this JVM's java, class path and options), copying the child's JSON
     * line to {@code out}; the child's log goes to this process's standard error.
     *
     * @param names the workloads (see {@link #select})
     * @param peer the {@code peer} value
     * @param engine the engine of the inference workloads (null: the fastest available)
     * @param out where the lines go
     * @return the names of the workloads whose child failed (empty when all ran)
     * @throws CnnkitException if a name is unknown or a child JVM cannot be started
     */
    public static List<String> runForked(List<String> names, String peer, InferenceEngine engine, PrintWriter out) {
        List<String> failed = new ArrayList<>();
        for (String name : select(names)) {
            List<String> args = new ArrayList<>(List.of("--in-process", "--peer", peer));
            if (engine != null) {
                args.add("--engine");
                args.add(engine.id());
            }
            args.add(name);
            List<String> command = ChildJvm.command(BenchMain.class, args);
            try {
                Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
                try (BufferedReader lines = new BufferedReader(
                        new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = lines.readLine()) != null) {
                        out.println(line);
                        out.flush();
                    }
                }
                if (child.waitFor() != 0) {
                    failed.add(name);
                }
            } catch (IOException e) {
                throw new CnnkitException("cannot start a JVM for workload " + name + ": " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CnnkitException("interrupted while running workload " + name, e);
            }
        }
        return failed;
    }
}
