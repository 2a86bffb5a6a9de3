package org.cnnkit.zoo;

import java.util.Arrays;
import java.util.Objects;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.zoo.onnx.OnnxExport;
import org.cnnkit.zoo.onnx.OnnxRuntimeSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engines that run a network's inference: DL4J's compiled plans, or ONNX Runtime on the network exported to ONNX
 * ({@link OnnxExport}). Both compute the same outputs (within 1e-4, {@code InferenceEngineContractTest}); ONNX
 * Runtime ran MobileNetV2 1.2-1.6 times as fast as DL4J's plans and the notebook CNN as fast (docs/performance.md),
 * so it is the default when its artifact,
 * {@value #ONNX_RUNTIME_ARTIFACT}, is on the classpath ({@link #fastest()}).
 *
 * <p>DL4J stays the engine that builds and trains networks. A session on ONNX Runtime runs a snapshot of the weights
 * taken when it is opened; a DL4J session sees later changes to the graph's parameters.
 */
public enum InferenceEngine {

    /** DL4J: the graph's compiled inference plans split between one replica per core. */
    DL4J("dl4j"),

    /**
     * ONNX Runtime (CPU), on the graph exported to ONNX: intra-op threads = cores, all graph optimizations, idle
     * threads spinning or sleeping as the session was opened ({@link IdleThreads}).
     */
    ONNX_RUNTIME("onnx");

    /** The Maven artifact ONNX Runtime comes from, named when it is missing. */
    public static final String ONNX_RUNTIME_ARTIFACT = "com.microsoft.onnxruntime:onnxruntime";

    private static final Logger LOG = LoggerFactory.getLogger(InferenceEngine.class);

    private final String id;

    InferenceEngine(String id) {
        this.id = id;
    }

    /** {@return the engine's short name: {@code dl4j} or {@code onnx} (the CLI's {@code --engine} values)} */
    public String id() {
        return id;
    }

    /**
     * Finds an engine by its short name.
     *
     * @param id {@code dl4j} or {@code onnx} (case-insensitive)
     * @return the engine
     * @throws CnnkitException listing the names if none matches
     */
    public static InferenceEngine parse(String id) {
        for (InferenceEngine engine : values()) {
            if (engine.id.equalsIgnoreCase(id.trim())) {
                return engine;
            }
        }
        throw new CnnkitException("unknown inference engine '" + id + "': expected one of "
                + Arrays.stream(values()).map(InferenceEngine::id).toList());
    }

    /**
     * Tells whether this engine can run here: always for DL4J; for ONNX Runtime, when its classes and its native
     * library load.
     *
     * @return whether {@link #open} can succeed
     */
    public boolean isAvailable() {
        return this == DL4J || OnnxRuntimeProbe.AVAILABLE;
    }

    /**
     * Returns the faster engine available: ONNX Runtime when it is on the classpath, else DL4J. The choice is
     * logged once per JVM.
     *
     * @return the default engine
     */
    public static InferenceEngine fastest() {
        return OnnxRuntimeProbe.FASTEST;
    }

    /**
     * Makes a network ready to run on this engine, its idle threads sleeping ({@link IdleThreads#SLEEP}: the choice
     * for cnnkit's pipelines, which decode the next images while the network runs), as
     * {@link #open(ComputationGraph, InputShape, Preprocessing, IdleThreads)}.
     *
     * @param network an initialized graph with one image input and one output
     * @param inputShape the images it takes
     * @param preprocessing the preprocessing its input needs (recorded in the ONNX model's metadata)
     * @return the session; close it when done
     * @throws CnnkitException if this engine is not available (naming the missing artifact), or the network cannot be
     *     exported to ONNX (naming the layer)
     */
    public InferenceSession open(ComputationGraph network, InputShape inputShape, Preprocessing preprocessing) {
        return open(network, inputShape, preprocessing, IdleThreads.SLEEP);
    }

    /**
     * Makes a network ready to run on this engine.
     *
     * @param network an initialized graph with one image input and one output
     * @param inputShape the images it takes
     * @param preprocessing the preprocessing its input needs (recorded in the ONNX model's metadata)
     * @param idleThreads what the session's idle native threads do: {@link IdleThreads#SPIN} where the network runs
     *     alone, {@link IdleThreads#SLEEP} where the caller's own threads work while it runs (DL4J ignores it)
     * @return the session; close it when done
     * @throws CnnkitException if this engine is not available (naming the missing artifact), or the network cannot be
     *     exported to ONNX (naming the layer)
     */
    public InferenceSession open(ComputationGraph network, InputShape inputShape, Preprocessing preprocessing,
            IdleThreads idleThreads) {
        Objects.requireNonNull(idleThreads, "idleThreads");
        if (this == DL4J) {
            return new Dl4jSession(network);
        }
        requireAvailable();
        return OnnxRuntimeSession.of(OnnxExport.builder().setNetwork(network).setInputShape(inputShape)
                .setPreprocessing(preprocessing).build(), idleThreads);
    }

    /**
     * Makes a network ready to run on the {@link #fastest()} engine, its idle threads sleeping, as
     * {@link #openFastest(ComputationGraph, InputShape, Preprocessing, IdleThreads)}.
     *
     * @param network an initialized graph with one image input and one output
     * @param inputShape the images it takes
     * @param preprocessing the preprocessing its input needs
     * @return the session; close it when done
     */
    public static InferenceSession openFastest(ComputationGraph network, InputShape inputShape,
            Preprocessing preprocessing) {
        return openFastest(network, inputShape, preprocessing, IdleThreads.SLEEP);
    }

    /**
     * Makes a network ready to run on the {@link #fastest()} engine; when that is ONNX Runtime and the network has a
     * layer the ONNX exporter does not know, falls back to DL4J (with a warning naming the layer).
     *
     * @param network an initialized graph with one image input and one output
     * @param inputShape the images it takes
     * @param preprocessing the preprocessing its input needs
     * @param idleThreads what the session's idle native threads do (see {@link IdleThreads})
     * @return the session; close it when done
     */
    public static InferenceSession openFastest(ComputationGraph network, InputShape inputShape,
            Preprocessing preprocessing, IdleThreads idleThreads) {
        InferenceEngine engine = fastest();
        if (engine == DL4J) {
            return DL4J.open(network, inputShape, preprocessing);
        }
        try {
            return engine.open(network, inputShape, preprocessing, idleThreads);
        } catch (CnnkitException e) {
            LOG.warn("Running on dl4j instead of onnx: {}", e.getMessage());
            return DL4J.open(network, inputShape, preprocessing);
        }
    }

    /**
     * Fails unless this engine is available.
     *
     * @throws CnnkitException naming the missing artifact
     */
    public void requireAvailable() {
        if (!isAvailable()) {
            throw new CnnkitException("the onnx engine needs ONNX Runtime: add " + ONNX_RUNTIME_ARTIFACT
                    + " (1.20.0 or newer) to the classpath" + OnnxRuntimeProbe.REASON);
        }
    }

    @Override
    public String toString() {
        return id;
    }

    /** Whether ONNX Runtime loads, checked once (its class and native library), and the default engine. */
    private static final class OnnxRuntimeProbe {
        static final String REASON;
        static final boolean AVAILABLE;
        static final InferenceEngine FASTEST;

        static {
            String reason = "";
            boolean available;
            try {
                available = OnnxRuntimeSession.loads();
            } catch (LinkageError e) {
                available = false;
                reason = " (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")";
            }
            AVAILABLE = available;
            REASON = reason;
            FASTEST = available ? ONNX_RUNTIME : DL4J;
            LOG.info("Inference engine: {} ({})", FASTEST.id(), available ? "ONNX Runtime is on the classpath"
                    : "ONNX Runtime (" + ONNX_RUNTIME_ARTIFACT + ") is not on the classpath");
        }

        private OnnxRuntimeProbe() {
        }
    }
}
