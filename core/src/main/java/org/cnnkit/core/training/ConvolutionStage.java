package org.cnnkit.core.training;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A 2D convolution (NCHW, weights {@code [out, in, kH, kW]}, DL4J's {@code Truncate} mode with explicit padding, with
 * or without bias) with an optional ReLU, trained with libnd4j's {@code conv2d} and {@code conv2d_bp}.
 *
 * <p>The first stage of a network needs no input gradient, which {@code conv2d_bp} always computes (for the notebook
 * CNN's first convolution that is most of its backward time). With a kernel larger than 1x1, stride 1 and no padding
 * its weight and bias gradients come from one matrix product per image ({@link ShiftedRowsWeightGradient}).
 * Otherwise the weight gradient comes from {@code deconv2d_bp}: a transposed convolution whose input is this
 * convolution's output gradient and whose output gradient is this convolution's input has exactly this convolution's
 * weight gradient, and what it computes on the side is a forward convolution, cheaper than an input gradient. The
 * bias gradient is then a sum.
 *
 * <p>When the ReLU is deferred (the next stage is a max pooling, which applies it after pooling:
 * {@code max(relu(x)) == relu(max(x))}, and the gradients agree too), this stage outputs the pre-activation.
 */
final class ConvolutionStage implements TrainingStage {

    private final NativeOps convolution;
    private final NativeOps convolutionBackward;
    private final NativeOps transposedBackward;
    private final ShiftedRowsWeightGradient shiftedRows;
    private final NativeOps activate;
    private final NativeOps activateBackward;
    private final INDArray weights;
    private final INDArray bias;
    private final INDArray weightGradient;
    private final INDArray biasGradient;
    private final int[] kernel;
    private final int[] stride;
    private final int[] padding;
    private final boolean relu;
    private final boolean first;
    private final StageBuffers buffers = new StageBuffers();
    private INDArray input;
    private INDArray preActivation;

    /**
     * Creates the stage.
     *
     * @param where the layer, for messages
     * @param weights the layer's weight view {@code [out, in, kH, kW]}
     * @param bias the layer's bias as a vector view {@code [out]}, or null for a convolution without bias
     * @param weightGradient the layer's weight gradient view
     * @param biasGradient the layer's bias gradient as a vector view, or null without bias
     * @param kernel kernel height and width
     * @param stride stride height and width
     * @param padding padding height and width (on each side)
     * @param relu whether this stage applies a ReLU (false: identity, or deferred to the next stage)
     * @param first whether this stage reads the network's input (so that no input gradient is needed)
     */
    ConvolutionStage(String where, INDArray weights, INDArray bias, INDArray weightGradient, INDArray biasGradient,
                     int[] kernel, int[] stride, int[] padding, boolean relu, boolean first) {
        this.weights = weights;
        this.bias = bias;
        this.weightGradient = weightGradient;
        this.biasGradient = biasGradient;
        this.kernel = kernel.clone();
        this.stride = stride.clone();
        this.padding = padding.clone();
        this.relu = relu;
        this.first = first;
        // kH, kW, sH, sW, pH, pW, dH, dW, same mode, NCHW, weights [out, in, kH, kW]
        long[] arguments = {kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[1], 1, 1, 0, 0, 1};
        this.convolution = NativeOps.bind(where, "conv2d", arguments);
        this.convolutionBackward = NativeOps.bind(where, "conv2d_bp", arguments);
        this.transposedBackward = NativeOps.bind(where, "deconv2d_bp", arguments);
        this.shiftedRows = first ? new ShiftedRowsWeightGradient(where, kernel[0], kernel[1]) : null;
        this.activate = NativeOps.bindWithFloat(where, "relu", 0.0);
        this.activateBackward = NativeOps.bindWithFloat(where, "relu_bp", 0.0);
    }

    @Override
    public INDArray forward(INDArray x) {
        input = x;
        long outH = (x.size(2) + 2L * padding[0] - kernel[0]) / stride[0] + 1;
        long outW = (x.size(3) + 2L * padding[1] - kernel[1]) / stride[1] + 1;
        preActivation = buffers.get("pre", x.size(0), weights.size(0), outH, outW);
        convolution.run(bias == null ? new INDArray[] {x, weights} : new INDArray[] {x, weights, bias}, preActivation);
        if (!relu) {
            return preActivation;
        }
        INDArray activation = buffers.get("activation", preActivation.shape());
        activate.run(new INDArray[] {preActivation}, activation);
        return activation;
    }

    @Override
    public INDArray backward(INDArray outputGradient) {
        INDArray gradient = outputGradient;
        if (relu) {
            activateBackward.run(new INDArray[] {preActivation, outputGradient}, gradient);
        }
        if (first && ShiftedRowsWeightGradient.applies(kernel, stride, padding, input, gradient, weightGradient)) {
            shiftedRows.compute(input, gradient, weightGradient, biasGradient);
            return null;
        }
        if (first && transposedConvolutionFits()) {
            // the pre-activation is not needed any more: it takes the forward convolution computed on the side
            transposedBackward.run(new INDArray[] {gradient, weights, input}, preActivation, weightGradient);
            if (biasGradient != null) {
                gradient.sum(biasGradient, 0, 2, 3);
            }
            return null;
        }
        INDArray inputGradient = buffers.get("input-gradient", input.shape());
        if (bias == null) {
            convolutionBackward.run(new INDArray[] {input, weights, gradient}, inputGradient, weightGradient);
        } else {
            convolutionBackward.run(new INDArray[] {input, weights, bias, gradient}, inputGradient, weightGradient,
                    biasGradient);
        }
        return first ? null : inputGradient;
    }

    /**
     * The transposed convolution reproduces the input size only without padding and when the strides tile the input
     * exactly.
     */
    private boolean transposedConvolutionFits() {
        return padding[0] == 0 && padding[1] == 0
                && (input.size(2) - kernel[0]) % stride[0] == 0 && (input.size(3) - kernel[1]) % stride[1] == 0;
    }
}
