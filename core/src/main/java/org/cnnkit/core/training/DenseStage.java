package org.cnnkit.core.training;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A dense layer ({@code x W + b}, DL4J's weights {@code [in, out]}) with an optional ReLU, computed as DL4J's dense
 * layer computes it (matrix products by {@code gemm} into the layer's gradient views), on reused buffers. A 4D input
 * is flattened first, in the order of DL4J's {@code CnnToFeedForwardPreProcessor} for NCHW data.
 */
final class DenseStage implements TrainingStage {

    private final NativeOps activate;
    private final NativeOps activateBackward;
    private final INDArray weights;
    private final INDArray bias;
    private final INDArray weightGradient;
    private final INDArray biasGradient;
    private final boolean relu;
    private final boolean first;
    private final StageBuffers buffers = new StageBuffers();
    private long[] inputShape;
    private INDArray input;
    private INDArray preActivation;

    /**
     * Creates the stage.
     *
     * @param where the layer, for messages
     * @param weights the weight view {@code [in, out]}
     * @param bias the bias view {@code [1, out]}
     * @param weightGradient the weight gradient view
     * @param biasGradient the bias gradient view
     * @param relu whether a ReLU follows (false: identity)
     * @param first whether this stage reads the network's input
     */
    DenseStage(String where, INDArray weights, INDArray bias, INDArray weightGradient, INDArray biasGradient,
               boolean relu, boolean first) {
        this.activate = NativeOps.bindWithFloat(where, "relu", 0.0);
        this.activateBackward = NativeOps.bindWithFloat(where, "relu_bp", 0.0);
        this.weights = weights;
        this.bias = bias;
        this.weightGradient = weightGradient;
        this.biasGradient = biasGradient;
        this.relu = relu;
        this.first = first;
    }

    @Override
    public INDArray forward(INDArray x) {
        inputShape = x.shape();
        input = x.rank() == 2 ? x : x.reshape('c', x.size(0), x.length() / x.size(0));
        preActivation = buffers.get("pre", input.size(0), weights.size(1));
        Nd4j.gemm(input, weights, preActivation, false, false, 1.0, 0.0);
        preActivation.addiRowVector(bias);
        if (!relu) {
            return preActivation;
        }
        INDArray activation = buffers.get("activation", preActivation.shape());
        activate.run(new INDArray[] {preActivation}, activation);
        return activation;
    }

    @Override
    public INDArray backward(INDArray outputGradient) {
        if (relu) {
            activateBackward.run(new INDArray[] {preActivation, outputGradient}, outputGradient);
        }
        return backwardLinear(outputGradient);
    }

    /** The gradients of {@code x W + b} for the gradient of its result. */
    INDArray backwardLinear(INDArray gradient) {
        Nd4j.gemm(input, gradient, weightGradient, true, false, 1.0, 0.0);
        gradient.sum(biasGradient, 0);
        if (first) {
            return null;
        }
        INDArray inputGradient = buffers.get("input-gradient", input.shape());
        Nd4j.gemm(gradient, weights, inputGradient, false, true, 1.0, 0.0);
        return inputShape.length == 2 ? inputGradient : inputGradient.reshape('c', inputShape);
    }

    /** The output of the last forward pass before its activation. */
    INDArray preActivation() {
        return preActivation;
    }
}
