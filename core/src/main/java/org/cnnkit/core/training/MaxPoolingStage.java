package org.cnnkit.core.training;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A 2D max pooling (NCHW, valid padding) trained with libnd4j's {@code maxpool2d} and {@code maxpool2d_bp},
 * optionally applying the ReLU the convolution before it deferred: pooling the pre-activation and then applying the
 * ReLU gives the same output and the same gradients as pooling the activation, on a quarter (pool 2) or a sixteenth
 * (pool 4) of the values.
 */
final class MaxPoolingStage implements TrainingStage {

    private final String where;
    private final long[] arguments;
    private final int[] kernel;
    private final int[] stride;
    private final boolean relu;
    private final StageBuffers buffers = new StageBuffers();
    private INDArray input;
    private INDArray pooled;

    /**
     * Creates the stage.
     *
     * @param where the layer, for messages
     * @param kernel kernel height and width
     * @param stride stride height and width
     * @param relu whether to apply the previous convolution's deferred ReLU after pooling
     */
    MaxPoolingStage(String where, int[] kernel, int[] stride, boolean relu) {
        this.where = where;
        this.kernel = kernel.clone();
        this.stride = stride.clone();
        this.relu = relu;
        // kH, kW, sH, sW, pH, pW, dH, dW, same mode, extra parameter, NCHW
        this.arguments = new long[] {kernel[0], kernel[1], stride[0], stride[1], 0, 0, 1, 1, 0, 0, 0};
    }

    @Override
    public INDArray forward(INDArray x) {
        input = x;
        long outH = (x.size(2) - kernel[0]) / stride[0] + 1;
        long outW = (x.size(3) - kernel[1]) / stride[1] + 1;
        pooled = buffers.get("pooled", x.size(0), x.size(1), outH, outW);
        NativeOps.run(where, "maxpool2d", new INDArray[] {x}, new INDArray[] {pooled}, arguments);
        return relu ? NativeOps.relu(where, pooled, buffers) : pooled;
    }

    @Override
    public INDArray backward(INDArray outputGradient) {
        if (relu) {
            NativeOps.reluBackwardInPlace(where, pooled, outputGradient);
        }
        INDArray inputGradient = buffers.get("input-gradient", input.shape());
        NativeOps.run(where, "maxpool2d_bp", new INDArray[] {input, outputGradient}, new INDArray[] {inputGradient},
                arguments);
        return inputGradient;
    }
}
