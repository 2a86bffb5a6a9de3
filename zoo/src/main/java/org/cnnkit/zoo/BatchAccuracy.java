package org.cnnkit.zoo;

import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Counts correct training predictions from the forward pass DL4J makes anyway during {@code fit}, so that the
 * training accuracy costs no extra forward pass.
 *
 * <p>DL4J hands listeners the activations of every vertex except the output layer; the output layer's class
 * scores are recomputed from its input as {@code input * W + b} (the arg-max of softmax is the arg-max of its
 * logits). When the output layer is not of that form, {@link #observed()} stays false and the trainer falls
 * back to a separate forward pass.
 */
final class BatchAccuracy extends BaseTrainingListener {

    private final String outputLayer;
    private final String outputInput;
    private INDArray labels;
    private boolean observed;
    private long correct;

    BatchAccuracy(ComputationGraph network) {
        this.outputLayer = network.getConfiguration().getNetworkOutputs().get(0);
        List<String> inputs = network.getConfiguration().getVertexInputs().get(outputLayer);
        this.outputInput = inputs.size() == 1 ? inputs.get(0) : null;
    }

    /** Sets the labels of the batch about to be fitted. */
    void expect(INDArray batchLabels) {
        this.labels = batchLabels;
        this.observed = false;
        this.correct = 0;
    }

    /** Returns whether the last fit reported the activations needed to score its batch. */
    boolean observed() {
        return observed;
    }

    /** Returns the number of correct predictions in the last batch. */
    long correct() {
        return correct;
    }

    @Override
    public void onForwardPass(Model model, Map<String, INDArray> activations) {
        if (outputInput == null || labels == null) {
            return;
        }
        INDArray input = activations.get(outputInput);
        Layer layer = ((ComputationGraph) model).getLayer(outputLayer);
        INDArray weights = layer.getParam("W");
        INDArray bias = layer.getParam("b");
        if (input == null || weights == null || bias == null || input.rank() != 2
                || input.size(1) != weights.size(0) || input.size(0) != labels.size(0)) {
            return;
        }
        INDArray logits = input.mmul(weights).addiRowVector(bias);
        correct = countCorrect(logits, labels);
        observed = true;
    }

    /** Counts the rows whose arg-max in {@code scores} equals the arg-max of the one-hot {@code labels}. */
    static long countCorrect(INDArray scores, INDArray labels) {
        int[] predicted = scores.argMax(1).toIntVector();
        int[] actual = labels.argMax(1).toIntVector();
        long correct = 0;
        for (int i = 0; i < predicted.length; i++) {
            if (predicted[i] == actual[i]) {
                correct++;
            }
        }
        return correct;
    }
}
