package org.cnnkit.core.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import org.cnnkit.core.CnnkitException;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a network's inference on a batch split between one worker thread per core, each running its share of the
 * images through its own replica of the network with single-threaded native operations.
 *
 * <p>Why: DL4J runs a network one layer at a time, and each layer's native operation spreads itself over the cores
 * and synchronises them again. Two workers that each take half the batch, without synchronising between operations,
 * ran the folded MobileNetV2 (alpha 1.0) at 1.23 times the images/s of multi-threaded forward passes, at 100x100 and
 * at 224x224, in steady state on 2 cores; alpha 0.35 at 100x100 ran at the same speed either way
 * (docs/performance.md). The outputs are the same as {@code graph.output(false, ...)} up to float rounding: each
 * image goes through the same operations.
 *
 * <p>Each worker runs a compiled inference plan of the graph ({@code InferencePlanCompiler}): the libnd4j operations
 * of its layers bound once to preallocated arrays, without DL4J's per-layer Java work, which at 100x100 cost about
 * as much as the arithmetic and more while the JIT compiler warms up: the folded MobileNetV2 at 100x100 ran at 1,538
 * images/s (alpha 0.35) and 742 (alpha 1.0) in steady state on 2 workers, against 657-931 and 373-451 with DL4J's
 * forward pass (docs/performance.md). Outputs are equal to DL4J's ({@code InferencePlanTest}). A graph with a layer
 * or vertex the compiler does not know, or any graph when the fast paths are off
 * ({@value NativeRuntime#FAST_PATHS_PROPERTY}{@code =false}), runs through replicas of the graph with DL4J's own
 * forward pass instead. Each replica keeps the plans of the last {@value PlanReplica#PLANS_KEPT} input shapes it ran,
 * all running on one set of activation buffers (as large as its largest plan needs), for as long as this object
 * lives.
 *
 * <p>The replicas share the graph's parameter arrays (no copy of the weights): changes made to the graph's parameters
 * in place, as DL4J's training does, are seen by later calls. Do not call {@code init()} on the graph again, or
 * build a new {@code ParallelInference} if you do. Only graphs with one input whose first dimension is the batch are
 * supported.
 *
 * <p>A batch of one image, or any batch when there is one worker, runs on the calling thread through the graph
 * itself, its native operations using every core as usual. An optional cap on the images per network call bounds
 * the memory for activations ({@link #of(ComputationGraph, int, int)}).
 *
 * <p>Thread-safe: calls from several threads share the workers. Workers are daemon threads that end after 30 s
 * without work (releasing their workspace memory), so an idle instance holds no thread and needs no closing.
 */
public final class ParallelInference {

    /** Image pixels (height x width) per network call by default: 4 images of 224x224, 20 of 100x100. */
    static final long DEFAULT_PIXELS_PER_CALL = 4L * 224 * 224;
    private static final int AUTOMATIC = 0;
    private static final Logger LOG = LoggerFactory.getLogger(ParallelInference.class);

    private final ComputationGraph graph;
    private final int workers;
    private final int maxRowsPerCall;
    private final BlockingQueue<InferenceReplica> replicas;
    private final NativeWorkers workerThreads;
    private final boolean compiled;

    private ParallelInference(ComputationGraph graph, int workers, int maxRowsPerCall) {
        if (graph.getNumInputArrays() != 1) {
            throw new CnnkitException("parallel inference needs a graph with one input, this one has "
                    + graph.getNumInputArrays());
        }
        if (graph.getVertices() == null) {
            throw new CnnkitException("parallel inference needs an initialized graph: call init() first");
        }
        NativeRuntime.ensureConfigured();
        this.graph = graph;
        this.workers = Math.max(1, workers);
        this.maxRowsPerCall = maxRowsPerCall;
        this.replicas = new ArrayBlockingQueue<>(this.workers);
        this.workerThreads = NativeWorkers.create(this.workers, "cnnkit-inference");
        Optional<String> unsupported = this.workers == 1
                ? Optional.of("one worker: every call runs on the calling thread through the graph itself")
                : NativeRuntime.fastPathsEnabled()
                ? InferencePlanCompiler.unsupportedReason(graph)
                : Optional.of("the fast paths are off (" + NativeRuntime.FAST_PATHS_PROPERTY + "=false)");
        this.compiled = this.workers > 1 && unsupported.isEmpty();
        unsupported.ifPresent(reason -> LOG.debug("Inference runs DL4J's forward pass, not a compiled plan: {}",
                reason));
    }

    /**
     * Prepares parallel inference of {@code graph} with one worker per available core.
     *
     * @param graph an initialized graph with one input
     * @return the runner; replicas of the graph are made at the first call that needs them
     * @throws CnnkitException if the graph has several inputs or is not initialized
     */
    public static ParallelInference of(ComputationGraph graph) {
        return of(graph, Runtime.getRuntime().availableProcessors());
    }

    /**
     * Prepares parallel inference of {@code graph} with {@code workers} workers.
     *
     * @param graph an initialized graph with one input
     * @param workers worker threads (1: every batch runs on the calling thread, as {@code graph.output} does)
     * @return the runner
     * @throws CnnkitException if the graph has several inputs or is not initialized
     */
    public static ParallelInference of(ComputationGraph graph, int workers) {
        return new ParallelInference(graph, workers, AUTOMATIC);
    }

    /**
     * Prepares parallel inference of {@code graph} with {@code workers} workers, each network call taking at most
     * {@code maxRowsPerCall} images: a larger batch is cut into more pieces than workers, run one after the other.
     * Without this cap ({@link #of(ComputationGraph, int)}), a call takes at most as many NCHW images as make
     * {@value #DEFAULT_PIXELS_PER_CALL} pixels of height x width: 4 at 224x224, 20 at 100x100. Activation memory
     * grows with the images per call, and past a few large images so does the time: at 224x224, MobileNetV2 (alpha
     * 1.0) ran at 50-56 images/s with a 454 MiB peak at 4 images per call against 38 images/s and 1,017 MiB at 16,
     * and VGG16 at 5.0-5.3 images/s with 1,302 MiB against 5.5 and 1,729 (docs/performance.md).
     *
     * @param graph an initialized graph with one input
     * @param workers worker threads (1: every call runs on the calling thread, as {@code graph.output} does)
     * @param maxRowsPerCall the most images one network call takes, at least 1
     * @return the runner
     * @throws CnnkitException if the graph has several inputs or is not initialized
     * @throws IllegalArgumentException if {@code maxRowsPerCall} is below 1
     */
    public static ParallelInference of(ComputationGraph graph, int workers, int maxRowsPerCall) {
        if (maxRowsPerCall < 1) {
            throw new IllegalArgumentException("maxRowsPerCall must be at least 1, got " + maxRowsPerCall);
        }
        return new ParallelInference(graph, workers, maxRowsPerCall);
    }

    /** {@return the number of workers} */
    public int workers() {
        return workers;
    }

    /**
     * Tells whether the workers run compiled inference plans of the graph (true) or DL4J's forward pass (false: a
     * layer the plan compiler does not know, the fast paths are off, or there is one worker, whose calls all run
     * through the graph itself).
     *
     * @return whether plans are used
     */
    public boolean usesCompiledPlans() {
        return compiled;
    }

    /**
     * Runs inference (test mode: no dropout, batch normalization with its running statistics) on {@code input} and
     * returns the graph's outputs, rows in input order, detached from any workspace.
     *
     * @param input a batch, the first dimension indexing the images
     * @return one array per graph output
     * @throws CnnkitException if the calling thread is interrupted while waiting
     * @throws RuntimeException whatever the network throws for this input (for example a wrong shape)
     */
    public INDArray[] output(INDArray input) {
        return output(input, workers);
    }

    /**
     * As {@link #output(INDArray)}, on at most {@code maxWorkers} of the workers at once: with 1, the whole batch
     * runs on one worker, its pieces one after the other, so that the other cores stay free for other work (the
     * fine-tuning tail that trains beside it). Without compiled plans this is {@link #output(INDArray)}.
     *
     * @param input a batch, the first dimension indexing the images
     * @param maxWorkers the most workers to use, at least 1
     * @return one array per graph output
     * @throws IllegalArgumentException if {@code maxWorkers} is below 1
     * @throws CnnkitException if the calling thread is interrupted while waiting
     * @throws RuntimeException whatever the network throws for this input (for example a wrong shape)
     */
    public INDArray[] output(INDArray input, int maxWorkers) {
        if (maxWorkers < 1) {
            throw new IllegalArgumentException("maxWorkers must be at least 1, got " + maxWorkers);
        }
        int rows = (int) input.size(0);
        int perCall = rowsPerCall(input);
        int used = Math.min(workers, maxWorkers);
        int parts = Math.max(Math.min(workers, rows), (rows + perCall - 1) / perCall);
        if (parts <= 1 && !(compiled && used < workers)) {
            return graph.output(false, input);
        }
        // Pieces of one size and a smaller last one: each distinct size is a plan a replica compiles and keeps.
        int pieceRows = (rows + parts - 1) / parts;
        List<INDArray> slices = new ArrayList<>(parts);
        for (long from = 0; from < rows; from += pieceRows) {
            slices.add(input.get(NDArrayIndex.interval(from, Math.min(rows, from + pieceRows)))); // a view
        }
        List<INDArray[]> results = new ArrayList<>(slices.size());
        if (workers == 1) {
            for (INDArray slice : slices) {
                results.add(graph.output(false, slice));
            }
            return concatenated(results);
        }
        if (used >= slices.size()) {
            List<Callable<INDArray[]>> tasks = new ArrayList<>(slices.size());
            for (INDArray slice : slices) {
                tasks.add(() -> runOnReplica(slice));
            }
            results.addAll(workerThreads.runAll(tasks, "running inference"));
            return concatenated(results);
        }
        if (used == 1) {
            // the pieces and their joining all on one worker (single-threaded native operations): joined on the
            // calling thread, the copy ran with its OpenMP threads, which took CPU time beside the other cores' work
            return workerThreads.run(() -> {
                for (INDArray slice : slices) {
                    results.add(runOnReplica(slice));
                }
                return concatenated(results);
            }, "running inference");
        }
        // fewer workers than pieces: worker g runs pieces g, g + used, ... one after the other
        List<Callable<List<INDArray[]>>> groups = new ArrayList<>(used);
        for (int g = 0; g < used; g++) {
            int firstPiece = g;
            groups.add(() -> {
                List<INDArray[]> outputs = new ArrayList<>();
                for (int p = firstPiece; p < slices.size(); p += used) {
                    outputs.add(runOnReplica(slices.get(p)));
                }
                return outputs;
            });
        }
        List<List<INDArray[]>> byGroup = workerThreads.runAll(groups, "running inference");
        for (int p = 0; p < slices.size(); p++) {
            results.add(byGroup.get(p % used).get(p / used));
        }
        return concatenated(results);
    }

    /** The cap on images per call: the explicit one, or by image area for NCHW image batches. */
    int rowsPerCall(INDArray input) {
        if (maxRowsPerCall != AUTOMATIC) {
            return maxRowsPerCall;
        }
        if (input.rank() != 4) {
            return Integer.MAX_VALUE;
        }
        long area = Math.max(1, input.size(2) * input.size(3));
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, DEFAULT_PIXELS_PER_CALL / area));
    }

    /** Joins the pieces' outputs along the rows, output by output. */
    private static INDArray[] concatenated(List<INDArray[]> results) {
        INDArray[] outputs = new INDArray[results.get(0).length];
        for (int o = 0; o < outputs.length; o++) {
            INDArray[] pieces = new INDArray[results.size()];
            for (int p = 0; p < pieces.length; p++) {
                pieces[p] = results.get(p)[o];
            }
            outputs[o] = Nd4j.concat(0, pieces);
        }
        return outputs;
    }

    /**
     * As {@link #output(INDArray)} for a graph with one output.
     *
     * @param input a batch, the first dimension indexing the images
     * @return the output
     * @throws CnnkitException if the graph has several outputs, or as {@link #output(INDArray)}
     */
    public INDArray outputSingle(INDArray input) {
        return outputSingle(input, workers);
    }

    /**
     * As {@link #output(INDArray, int)} for a graph with one output.
     *
     * @param input a batch, the first dimension indexing the images
     * @param maxWorkers the most workers to use, at least 1
     * @return the output
     * @throws CnnkitException if the graph has several outputs, or as {@link #output(INDArray, int)}
     */
    public INDArray outputSingle(INDArray input, int maxWorkers) {
        INDArray[] outputs = output(input, maxWorkers);
        if (outputs.length != 1) {
            throw new CnnkitException("the graph has " + outputs.length + " outputs; use output(input)");
        }
        return outputs[0];
    }

    private INDArray[] runOnReplica(INDArray slice) throws InterruptedException {
        InferenceReplica replica = replicas.poll();
        if (replica == null) {
            replica = compiled ? new PlanReplica(graph) : new GraphReplica(graph);
        }
        try {
            return replica.output(slice);
        } finally {
            // offer, not put: the queue holds one replica per worker, so there is always room, and an interrupted
            // caller must not lose the replica (put would throw on the interrupt flag and drop it)
            replicas.offer(replica);
        }
    }
}
