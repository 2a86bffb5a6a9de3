package org.cnnkit.core.runtime;

import java.util.Locale;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where cnnkit configures the ND4J / DL4J native runtime: it makes DL4J's convolution and batch
 * normalization layers run on the fused native (oneDNN) operations instead of DL4J's Java-side im2col and
 * broadcast arithmetic.
 *
 * <h2>Why this is needed</h2>
 * DL4J 1.0.0-M2.1 ships oneDNN "layer helpers" ({@code MKLDNNConvHelper}, {@code MKLDNNBatchNormHelper},
 * {@code MKLDNNSubsamplingHelper}) but never uses them: {@code BaseMKLDNNHelper.mklDnnEnabled()} looks up
 * {@code org.nd4j.nativeblas.Nd4jCpu$Environment#isUseMKLDNN} by reflection, a class that moved to
 * {@code org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment} (method {@code isUseONEDNN}) in M2.1, so the
 * lookup fails, the failure is cached, and every layer drops its helper. The system property
 * {@code org.eclipse.deeplearning4j.helpers.disable} (default {@code true}) only decides whether DL4J tries at all, so
 * setting it cannot help; cnnkit leaves it alone.
 *
 * <h2>What cnnkit does</h2>
 * <ol>
 *   <li>{@link #ensureConfigured()} (once per JVM, thread-safe) loads the ND4J backend, checks that it is the CPU
 *       backend with oneDNN compiled in and platform helpers allowed, and logs one INFO line saying what is on.</li>
 *   <li>{@link #accelerate(ComputationGraph)} gives each layer of an initialized network the DL4J helper that is
 *       faster for its type (see {@link FastLayerPaths} for the per-type choice and the measurements behind it),
 *       the same helper DL4J itself would have installed had its lookup worked. Layers keep DL4J's fallback: when a
 *       helper throws, the layer switches back to its built-in path.</li>
 * </ol>
 * Every cnnkit network factory and model loader calls {@link #ensureConfigured()} before building and
 * {@code accelerate} right after {@code init()} (or after restoring a saved network); users who build their own
 * DL4J networks can call {@code accelerate} on them too.
 *
 * <h2>Turning it off</h2>
 * Start the JVM with {@code -Dcnnkit.fastpaths=false} (or set the property before cnnkit's first network is built):
 * networks then run exactly as DL4J ships them. The property is read once, by the first {@link #ensureConfigured()}.
 *
 * <h2>Other ND4J settings</h2>
 * ND4J already uses one OpenMP thread per core (set {@code OMP_NUM_THREADS} to change it), float32 by default, and
 * DL4J enables workspaces for training and inference by default; cnnkit keeps these defaults and reports them in the
 * INFO line.
 */
public final class NativeRuntime {

    /** The system property that turns the fast paths off when set to {@code false}. */
    public static final String FAST_PATHS_PROPERTY = "cnnkit.fastpaths";

    private static final Logger LOG = LoggerFactory.getLogger(NativeRuntime.class);

    private NativeRuntime() {
    }

    /** Initialized by the JVM on first use: class initialization makes it once-only and thread-safe. */
    private static final class Holder {
        static final RuntimeState STATE = configure();
        /** OpenBLAS's thread count is one native setting per process; this counts the runs that set it to one. */
        static final OneBlasThread ONE_BLAS_THREAD = new OneBlasThread(Nd4j.factory().blas());
    }

    /**
     * Configures the native runtime once per JVM; later calls return at once. Loads the ND4J backend, decides
     * whether the fast layer paths can and should be used, and logs one INFO line with the outcome.
     *
     * <p>A missing fast path is not an error: the plain path is used and the INFO line says why.
     *
     * @throws ExceptionInInitializerError if the ND4J native backend itself cannot be loaded
     */
    public static void ensureConfigured() {
        RuntimeState state = Holder.STATE;
        assert state != null;
    }

    /**
     * Makes native operations started from the calling thread run on that thread alone (OpenMP thread count 1).
     * OpenMP keeps this setting per thread, so other threads keep theirs. For worker threads that share work out
     * among themselves, one per core, where each native call parallelising itself would only add synchronisation.
     *
     * @throws ExceptionInInitializerError if the ND4J native backend itself cannot be loaded
     */
    public static void runNativeOpsOnCallingThreadOnly() {
        ensureConfigured();
        NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(1);
    }

    /**
     * Runs work with the BLAS library (OpenBLAS) on one thread, then gives it back its thread count. OpenBLAS keeps
     * its own threads, for the whole process, whatever {@link #runNativeOpsOnCallingThreadOnly()} says: a matrix
     * product on a single-threaded worker still shares itself with an OpenBLAS thread, which then spins (yielding)
     * waiting for the next one, on the core another worker needs. For work spread over workers that keep every core
     * busy. The setting is process-wide while the work runs; runs that overlap (nested, or on other threads) are
     * counted, and the count from before the first comes back when the last ends.
     *
     * @param work the work
     * @throws ExceptionInInitializerError if the ND4J native backend itself cannot be loaded
     */
    public static void runWithOneBlasThread(Runnable work) {
        ensureConfigured();
        OneBlasThread oneThread = Holder.ONE_BLAS_THREAD;
        oneThread.enter();
        try {
            work.run();
        } finally {
            oneThread.exit();
        }
    }

    /**
     * Tells whether networks passed to {@link #accelerate(ComputationGraph)} get the fast layer paths: the property
     * {@value #FAST_PATHS_PROPERTY} is not {@code false}, the backend is ND4J's CPU backend with oneDNN, and ND4J
     * allows platform helpers.
     *
     * @return true when the fast paths are on
     */
    public static boolean fastPathsEnabled() {
        return Holder.STATE.fastPaths();
    }

    /**
     * Describes the runtime in one line: backend, oneDNN, threads and which layer types run on which path.
     *
     * @return a human-readable summary, the same text as the INFO line logged once
     */
    public static String describe() {
        return Holder.STATE.description();
    }

    /**
     * Installs the faster native path in every layer of an initialized network where one exists, and makes the
     * network size its workspaces after a few cycles rather than DL4J's several passes ({@code WorkspaceLearning});
     * a no-op when the fast paths are off. Call it after {@code init()}, and again after anything that creates new
     * layer objects (restoring, cloning, transfer-learning builders).
     *
     * @param graph an initialized network
     * @return the same network, for chaining
     * @throws IllegalArgumentException if {@code graph} is null or not initialized
     */
    public static ComputationGraph accelerate(ComputationGraph graph) {
        if (graph == null) {
            throw new IllegalArgumentException("graph must not be null");
        }
        if (graph.getLayers() == null) {
            throw new IllegalArgumentException("graph is not initialized: call init() before NativeRuntime.accelerate");
        }
        install(graph.getLayers());
        if (Holder.STATE.fastPaths()) {
            WorkspaceLearning.shorten(graph);
        }
        return graph;
    }

    /**
     * Installs the faster native path in every layer of an initialized network where one exists (a no-op when the
     * fast paths are off); see {@link #accelerate(ComputationGraph)}.
     *
     * @param network an initialized network
     * @return the same network, for chaining
     * @throws IllegalArgumentException if {@code network} is null or not initialized
     */
    public static MultiLayerNetwork accelerate(MultiLayerNetwork network) {
        if (network == null) {
            throw new IllegalArgumentException("network must not be null");
        }
        if (network.getLayers() == null) {
            throw new IllegalArgumentException(
                    "network is not initialized: call init() before NativeRuntime.accelerate");
        }
        install(network.getLayers());
        if (Holder.STATE.fastPaths()) {
            WorkspaceLearning.shorten(network);
        }
        return network;
    }

    private static void install(Layer[] layers) {
        RuntimeState state = Holder.STATE;
        if (!state.fastPaths()) {
            return;
        }
        int installed = FastLayerPaths.install(layers);
        LOG.debug("Fast native paths installed in {} of {} layers", installed, layers.length);
    }

    private static RuntimeState configure() {
        boolean wanted = FastLayerPaths.wantedByProperty(System.getProperty(FAST_PATHS_PROPERTY));
        String backend = Nd4j.getExecutioner().getEnvironmentInformation().getProperty("backend", "?");
        boolean cpu = "CPU".equalsIgnoreCase(backend);
        boolean oneDnn = cpu && buildInfo().contains("HAVE_ONEDNN");
        boolean helpersAllowed = Nd4j.getEnvironment().helpersAllowed();
        boolean fastPaths = wanted && oneDnn && helpersAllowed && FastLayerPaths.helpersAccessible();
        String reason;
        if (!wanted) {
            reason = "off by -D" + FAST_PATHS_PROPERTY + "=false";
        } else if (!cpu) {
            reason = "off: backend " + backend + " is not ND4J's CPU backend";
        } else if (!oneDnn) {
            reason = "off: this nd4j-native build has no oneDNN (use the linux-x86_64-onednn-avx2 classifier)";
        } else if (!helpersAllowed) {
            reason = "off: ND4J platform helpers are disabled (Nd4j.getEnvironment().allowHelpers(false))";
        } else if (!fastPaths) {
            reason = "off: this DL4J version's layer helper fields are not where cnnkit expects them";
        } else {
            reason = "on: " + FastLayerPaths.summary();
        }
        String description = String.format(Locale.ROOT,
                "ND4J %s backend, oneDNN %s, %d threads, data type %s; fast layer paths %s",
                backend, oneDnn ? "yes" : "no", Nd4j.getEnvironment().maxThreads(),
                Nd4j.defaultFloatingPointType(), reason);
        LOG.info("cnnkit native runtime: {}", description);
        return new RuntimeState(fastPaths, description);
    }

    private static String buildInfo() {
        try {
            String info = NativeOpsHolder.getInstance().getDeviceNativeOps().buildInfo();
            return info == null ? "" : info;
        } catch (RuntimeException | LinkageError e) {
            LOG.debug("Could not read the ND4J native build information", e);
            return "";
        }
    }

    private record RuntimeState(boolean fastPaths, String description) {
    }
}
