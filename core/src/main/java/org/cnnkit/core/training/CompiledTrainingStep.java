package org.cnnkit.core.training;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.runtime.NativeRuntime;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
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
 * <p>{@link #of} compiles graphs that are a chain of 2D convolutions, max poolings, dense layers and a softmax output
 * layer with multi-class cross-entropy (see {@code TrainingStepCompiler}); for anything else, or when
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
    private final List<TrainingStage> stages;
    private final SoftmaxOutputStage output;
    private final Gradient gradient;
    private INDArray lastOutput;

    private CompiledTrainingStep(ComputationGraph graph, TrainingStepCompiler.Compiled compiled) {
        this.graph = graph;
        this.stages = compiled.stages();
        this.output = compiled.output();
        this.gradient = new DefaultGradient(graph.getFlattenedGradients());
        for (org.deeplearning4j.nn.api.Layer layer : graph.getLayers()) {
            String name = layer.conf().getLayer().getLayerName();
            layer.conf().getLayer().initializer().getGradientsFromFlattened(layer.conf(),
                    layer.getGradientsViewArray()).forEach((param, view) ->
                    gradient.setGradientFor(name + "_" + param, view));
        }
    }

    /**
     * Compiles the training step of a graph, if every layer of it has a compiled stage and the fast paths are on.
     *
     * @param graph an initialized graph; its parameters, gradient view and updater are used in place
     * @return the compiled step, or empty (with a DEBUG line saying why) when {@code graph.fit} must be used
     */
    public static Optional<CompiledTrainingStep> of(ComputationGraph graph) {
        if (graph == null) {
            throw new IllegalArgumentException("graph is required");
        }
        NativeRuntime.ensureConfigured();
        if (!NativeRuntime.fastPathsEnabled()) {
            LOG.debug("compiled training off: the fast paths are off");
            return Optional.empty();
        }
        if (graph.getFlattenedGradients() == null) {
            graph.initGradientsView();
        }
        List<String> reasons = new ArrayList<>();
        Optional<TrainingStepCompiler.Compiled> compiled = TrainingStepCompiler.compile(graph, reasons);
        if (compiled.isEmpty()) {
            LOG.debug("compiled training off, DL4J's fit trains this graph: {}", reasons);
            return Optional.empty();
        }
        graph.getUpdater(true);
        return Optional.of(new CompiledTrainingStep(graph, compiled.get()));
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
        INDArray x = features;
        for (TrainingStage stage : stages) {
            x = stage.forward(x);
        }
        lastOutput = output.forward(x);
        if (!java.util.Arrays.equals(lastOutput.shape(), labels.shape())) {
            throw new CnnkitException("the labels have shape " + java.util.Arrays.toString(labels.shape())
                    + " but the network gives " + java.util.Arrays.toString(lastOutput.shape()));
        }
        double loss = output.loss(labels);
        INDArray g = output.backward(labels);
        for (int i = stages.size() - 1; i >= 0 && g != null; i--) {
            g = stages.get(i).backward(g);
        }
        int iteration = graph.getConfiguration().getIterationCount();
        int epoch = graph.getConfiguration().getEpochCount();
        graph.getUpdater().update(gradient, iteration, epoch, Math.toIntExact(n), LayerWorkspaceMgr.noWorkspaces());
        INDArray params = graph.params();
        params.subi(graph.getFlattenedGradients().reshape(params.shape()));
        graph.setScore(loss);
        for (TrainingListener listener : graph.getListeners()) {
            listener.iterationDone(graph, iteration, epoch);
        }
        graph.getConfiguration().setIterationCount(iteration + 1);
        return loss;
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
