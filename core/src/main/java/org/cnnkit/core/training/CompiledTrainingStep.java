package org.cnnkit.core.training;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.runtime.NativeRuntime;
import org.cnnkit.core.runtime.NativeWorkers;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One training step (forward pass, backward pass, updater) of a {@link ComputationGraph}, compiled to the libnd4j
 * operations DL4J's layers run, on buffers allocated once per batch size: the same arithmetic as
 * {@code graph.fit(batch)} without DL4J's per-layer Java work, and with three savings DL4J does not make:
 * <ul>
 *   <li>the first layer's input gradient is not computed (nothing needs it); a first convolution gets its weight
 *       gradient from a transposed convolution's backward pass, which computes a forward convolution on the side
 *       instead;</li>
 *   <li>a ReLU between a convolution and a max pooling runs after the pooling, on a fraction of the values (same
 *       output, same gradients);</li>
 *   <li>a convolution's pre-activation is kept for the backward pass, never recomputed.</li>
 * </ul>
 * The updater is the graph's own ({@code ComputationGraphUpdater}: minibatch averaging, regularization, Adam or any
 * other), applied to the gradients in the graph's gradient view, so parameters, updater state and iteration count
 * evolve as {@code fit} evolves them: the weights after N steps equal DL4J's within float rounding
 * ({@code CompiledTrainingStepTest}).
 *
 * <p>A batch is split between one worker thread per core ({@link NativeWorkers}: single-threaded native operations),
 * each running the compiled layers on its share of the images into its own gradient array; the shares' gradients
 * are then added (every gradient is a sum over the images) and the updater runs once, on a worker as well: native
 * operations started from the caller's thread run multi-threaded and leave native threads spinning into the next
 * step, where they took a third of the process's CPU from the workers. OpenBLAS runs on one thread meanwhile
 * ({@link NativeRuntime#runWithOneBlasThread}): its own thread would take a share of each worker's matrix products
 * and then spin on the core the other worker needs. One multi-threaded native
 * call per operation spent much of its time synchronising the two cores, which independent shares do not.
 *
 * <p>{@link #of} compiles graphs of 2D and depthwise convolutions, max poolings, inference-mode batch normalizations
 * ({@link InferenceModeNormalization}), ReLU and ReLU6 activation layers, global average poolings, dense layers,
 * element-wise additions (residual connections) and a softmax output layer with multi-class cross-entropy (see
 * {@code TrainingStepCompiler}); for anything else, or when
 * {@code -Dcnnkit.fastpaths=false}, it returns empty and the caller keeps {@code graph.fit}. Listeners of the graph
 * get {@code iterationDone} after each step but no {@code onForwardPass}/{@code onBackwardPass}. Not thread-safe: one
 * step at a time per graph.
 *
 * <pre>{@code
 * Optional<CompiledTrainingStep> step = CompiledTrainingStep.of(graph);
 * double loss = step.isPresent() ? step.get().fit(batch) : fitWithDl4j(graph, batch);
 * }</pre>
 */
public final class CompiledTrainingStep {

    private static final Logger LOG = LoggerFactory.getLogger(CompiledTrainingStep.class);

    private final ComputationGraph graph;
    private final List<Replica> replicas;
    private final NativeWorkers workers;
    private final Gradient gradient;
    private INDArray lastOutput;

    /** One share's compiled layers and the flat gradient array they write. */
    private record Replica(TrainingStepCompiler.Compiled compiled, INDArray flatGradients) {
    }

    /** What one share of a batch gave: its summed loss and its probabilities. */
    private record ShareResult(double lossSum, INDArray probabilities) {
    }

    private CompiledTrainingStep(ComputationGraph graph, List<Replica> replicas) {
        this.graph = graph;
        this.replicas = replicas;
        this.workers = replicas.size() > 1 ? NativeWorkers.create(replicas.size(), "cnnkit-training") : null;
        this.gradient = new DefaultGradient(graph.getFlattenedGradients());
        for (org.deeplearning4j.nn.api.Layer layer : graph.getLayers()) {
            String name = layer.conf().getLayer().getLayerName();
            GradientViews.ofGraph(graph).of(name).forEach((param, view) -> gradient.setGradientFor(name + "_" + param,
                    view));
        }
    }

    /**
     * Compiles the training step of a graph, if every layer of it has a compiled stage and the fast paths are on,
     * splitting batches between one worker per available processor.
     *
     * @param graph an initialized graph; its parameters, gradient view and updater are used in place
     * @return the compiled step, or empty (with a DEBUG line saying why) when {@code graph.fit} must be used
     */
    public static Optional<CompiledTrainingStep> of(ComputationGraph graph) {
        return of(graph, Runtime.getRuntime().availableProcessors());
    }

    /**
     * Compiles the training step of a graph with a given number of workers.
     *
     * @param graph an initialized graph; its parameters, gradient view and updater are used in place
     * @param workers how many shares a batch is split into (1: the calling thread runs the whole batch with
     *     multi-threaded native operations)
     * @return the compiled step, or empty (with a DEBUG line saying why) when {@code graph.fit} must be used
     * @throws IllegalArgumentException if the graph is null or workers is below 1
     */
    public static Optional<CompiledTrainingStep> of(ComputationGraph graph, int workers) {
        if (graph == null) {
            throw new IllegalArgumentException("graph is required");
        }
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be at least 1, got " + workers);
        }
        NativeRuntime.ensureConfigured();
        if (!NativeRuntime.fastPathsEnabled()) {
            LOG.debug("compiled training off: the fast paths are off");
            return Optional.empty();
        }
        if (graph.getFlattenedGradients() == null) {
            graph.initGradientsView();
        }
        List<Replica> replicas = new ArrayList<>();
        for (int i = 0; i < workers; i++) {
            GradientViews views = i == 0 ? GradientViews.ofGraph(graph)
                    : GradientViews.ofArray(graph, Nd4j.createUninitialized(graph.getFlattenedGradients().dataType(),
                    graph.getFlattenedGradients().shape()));
            List<String> reasons = new ArrayList<>();
            Optional<TrainingStepCompiler.Compiled> compiled = TrainingStepCompiler.compile(graph, views, reasons);
            if (compiled.isEmpty()) {
                LOG.debug("compiled training off, DL4J's fit trains this graph: {}", reasons);
                return Optional.empty();
            }
            replicas.add(new Replica(compiled.get(), views.flat()));
        }
        graph.getUpdater(true);
        return Optional.of(new CompiledTrainingStep(graph, replicas));
    }

    /**
     * Runs one training step on a batch, as {@code graph.fit(batch)} does: updates the graph's parameters, its
     * updater state, score and iteration count.
     *
     * @param batch features {@code [n, channels, height, width]} (or {@code [n, features]}) and one-hot labels
     * @return the batch's mean loss (the score {@code fit} would leave)
     * @throws CnnkitException if the batch has a mask, or its shapes do not fit the network
     */
    public double fit(DataSet batch) {
        if (batch.getFeaturesMaskArray() != null || batch.getLabelsMaskArray() != null) {
            throw new CnnkitException("compiled training takes no mask arrays");
        }
        INDArray features = floatContiguous(batch.getFeatures());
        INDArray labels = floatContiguous(batch.getLabels());
        long n = features.size(0);
        long classes = ((org.deeplearning4j.nn.conf.layers.FeedForwardLayer) graph.getOutputLayer(0).conf()
                .getLayer()).getNOut();
        if (labels.rank() != 2 || labels.size(0) != n || labels.size(1) != classes) {
            throw new CnnkitException("the labels have shape " + java.util.Arrays.toString(labels.shape())
                    + " but the network takes " + n + " images and has " + classes + " outputs");
        }
        int shares = (int) Math.min(replicas.size(), n);
        int iteration = graph.getConfiguration().getIterationCount();
        int epoch = graph.getConfiguration().getEpochCount();
        double lossSum;
        if (shares == 1) {
            ShareResult result = runShare(replicas.get(0), features, labels);
            lossSum = result.lossSum();
            lastOutput = result.probabilities();
            update(iteration, epoch, n);
        } else {
            // OpenBLAS on one thread meanwhile: its own thread would take a share of each worker's matrix products
            // and then spin (yielding) on the core the other worker needs: in cnn-train-100, threads in
            // sched_yield held 9.5% of perf's samples before, 2.3% after (docs/performance.md)
            double[] sum = new double[1];
            NativeRuntime.runWithOneBlasThread(() -> sum[0] = trainShares(features, labels, n, shares, iteration,
                    epoch));
            lossSum = sum[0];
        }
        double loss = lossSum / n;
        graph.setScore(loss);
        for (TrainingListener listener : graph.getListeners()) {
            listener.iterationDone(graph, iteration, epoch);
        }
        graph.getConfiguration().setIterationCount(iteration + 1);
        return loss;
    }

    /**
     * One step split between the workers: each share's forward and backward pass, then (on a worker) the gradients'
     * sum and the update.
     *
     * @return the sum of the shares' losses
     */
    private double trainShares(INDArray features, INDArray labels, long n, int shares, int iteration, int epoch) {
        List<java.util.concurrent.Callable<ShareResult>> tasks = new ArrayList<>();
        for (int i = 0; i < shares; i++) {
            long from = n * i / shares;
            long to = n * (i + 1) / shares;
            Replica replica = replicas.get(i);
            INDArray x = features.get(NDArrayIndex.interval(from, to));
            INDArray y = labels.get(NDArrayIndex.interval(from, to));
            tasks.add(() -> runShare(replica, x, y));
        }
        List<ShareResult> results = workers.runAll(tasks, "training");
        double lossSum = 0;
        for (ShareResult result : results) {
            lossSum += result.lossSum();
        }
        // on a worker too, with single-threaded native operations: operations started from the caller's thread
        // wake native threads that keep spinning while the next step's shares run, taking CPU from the workers
        workers.run(() -> {
            INDArray flat = graph.getFlattenedGradients();
            for (int i = 1; i < shares; i++) {
                flat.addi(replicas.get(i).flatGradients());
            }
            lastOutput = Nd4j.concat(0, results.stream().map(ShareResult::probabilities)
                    .toArray(INDArray[]::new));
            update(iteration, epoch, n);
            return null;
        }, "updating the parameters");
        return lossSum;
    }

    /** The graph's updater on the summed gradients, then {@code params -= update}, as {@code fit} does. */
    private void update(int iteration, int epoch, long n) {
        graph.getUpdater().update(gradient, iteration, epoch, Math.toIntExact(n), LayerWorkspaceMgr.noWorkspaces());
        INDArray params = graph.params();
        params.subi(graph.getFlattenedGradients().reshape(params.shape()));
    }

    /** Forward and backward pass of a share of the batch into the replica's gradient array. */
    private static ShareResult runShare(Replica replica, INDArray features, INDArray labels) {
        TrainingStepCompiler.Compiled compiled = replica.compiled();
        List<TrainingStepCompiler.Node> nodes = compiled.nodes();
        INDArray[] activations = new INDArray[nodes.size() + 1];
        activations[0] = features;
        for (int i = 0; i < nodes.size(); i++) {
            TrainingStepCompiler.Node node = nodes.get(i);
            int[] in = node.inputs();
            activations[i + 1] = node.add() != null ? node.add().forward(activations[in[0]], activations[in[1]])
                    : node.stage().forward(activations[in[0]]);
        }
        INDArray probabilities = compiled.output().forward(activations[compiled.outputInput()]);
        if (!java.util.Arrays.equals(probabilities.shape(), labels.shape())) {
            throw new CnnkitException("the labels have shape " + java.util.Arrays.toString(labels.shape())
                    + " but the network gives " + java.util.Arrays.toString(probabilities.shape()));
        }
        double lossSum = compiled.output().loss(labels) * labels.size(0);
        // gradients[k]: the loss gradient of activation k, summed over the vertices that read it
        INDArray[] gradients = new INDArray[nodes.size() + 1];
        accumulate(gradients, compiled.outputInput(), compiled.output().backward(labels));
        for (int i = nodes.size() - 1; i >= 0; i--) {
            INDArray g = gradients[i + 1];
            if (g == null) {
                continue;
            }
            TrainingStepCompiler.Node node = nodes.get(i);
            int[] in = node.inputs();
            if (node.add() != null) {
                accumulate(gradients, in[1], node.add().secondInputGradient(g));
                accumulate(gradients, in[0], g);
            } else {
                accumulate(gradients, in[0], node.stage().backward(g));
            }
        }
        return new ShareResult(lossSum, probabilities);
    }

    /**
     * Adds a vertex's contribution to an activation's gradient: the first contribution is kept as it is (its array
     * belongs to this activation from now on), later ones are added into it. The network input's gradient is not
     * needed.
     */
    private static void accumulate(INDArray[] gradients, int activation, INDArray contribution) {
        if (activation == 0 || contribution == null) {
            return;
        }
        if (gradients[activation] == null) {
            gradients[activation] = contribution;
        } else {
            gradients[activation].addi(contribution);
        }
    }

    /**
     * Returns the class probabilities of the last step's forward pass (before its update), for training accuracy.
     *
     * @return {@code [n, classes]}, valid until the next step
     * @throws IllegalStateException before the first step
     */
    public INDArray lastOutput() {
        if (lastOutput == null) {
            throw new IllegalStateException("no step has run yet");
        }
        return lastOutput;
    }

    private static INDArray floatContiguous(INDArray array) {
        if (array.dataType() != DataType.FLOAT) {
            return array.castTo(DataType.FLOAT);
        }
        return array.isView() || array.ordering() != 'c' ? array.dup('c') : array;
    }
}
