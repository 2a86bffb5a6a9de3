package org.cnnkit.core.training;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A depthwise 2D convolution (NCHW, DL4J's weights {@code [kH, kW, in, multiplier]}, {@code Truncate} mode with
 * explicit padding, no bias, no activation), trained with libnd4j's {@code depthwise_conv2d} and
 * {@code depthwise_conv2d_bp}, as DL4J's {@code DepthwiseConvolution2DLayer} runs them.
 */
final class DepthwiseConvolutionStage implements TrainingStage {

    private final INDArray weights;
    private final INDArray weightGradient;
    private final NativeOps convolution;
    private final NativeOps convolutionBackward;
    private final int[] kernel;
    private final int[] stride;
    private final int[] padding;
    private final boolean first;
    private final StageBuffers buffers = new StageBuffers();
    private INDArray input;

    /**
     * Creates the stage.
     *
     * @param where the layer, for messages
     * @param weights the layer's weight view {@code [kH, kW, in, multiplier]}
     * @param weightGradient the layer's weight gradient view
     * @param kernel kernel height and width
     * @param stride stride height and width
     * @param padding padding height and width (on each side)
     * @param first whether this stage reads the network's input (its input gradient is then not returned)
     */
    DepthwiseConvolutionStage(String where, INDArray weights, INDArray weightGradient, int[] kernel, int[] stride,
                              int[] padding, boolean first) {
        this.weights = weights;
        this.weightGradient = weightGradient;
        this.kernel = kernel.clone();
        this.stride = stride.clone();
        this.padding = padding.clone();
        this.first = first;
        // kH, kW, sH, sW, pH, pW, dH, dW, same mode, NCHW
        long[] arguments = {kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[1], 1, 1, 0, 0};
        this.convolution = NativeOps.bind(where, "depthwise_conv2d", arguments);
        this.convolutionBackward = NativeOps.bind(where, "depthwise_conv2d_bp", arguments);
    }

    @Override
    public INDArray forward(INDArray x) {
        input = x;
        long outH = (x.size(2) + 2L * padding[0] - kernel[0]) / stride[0] + 1;
        long outW = (x.size(3) + 2L * padding[1] - kernel[1]) / stride[1] + 1;
        INDArray output = buffers.get("output", x.size(0), weights.size(2) * weights.size(3), outH, outW);
        convolution.run(new INDArray[] {x, weights}, output);
        return output;
    }

    @Override
    public INDArray backward(INDArray outputGradient) {
        INDArray inputGradient = buffers.get("input-gradient", input.shape());
        convolutionBackward.run(new INDArray[] {input, weights, outputGradient}, inputGradient, weightGradient);
        return first ? null : inputGradient;
    }
}
