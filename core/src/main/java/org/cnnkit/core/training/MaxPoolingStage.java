package org.cnnkit.core.training;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A 2D max pooling (NCHW, valid padding), optionally applying the ReLU the convolution before it deferred: pooling the
 * pre-activation and then applying the ReLU gives the same output and the same gradients as pooling the activation,
 * on a quarter (pool 2) or a sixteenth (pool 4) of the values.
 *
 * <p>A pooling whose windows tile its input (stride equal to the kernel) runs in Java ({@link TiledMaxPooling}: the
 * forward pass records each window's arg-max, the backward pass writes the gradients there in one pass); any other
 * runs libnd4j's {@code maxpool2d} and {@code maxpool2d_bp} (with {@code relu} and {@code relu_bp} around them).
 */
final class MaxPoolingStage implements TrainingStage {

    private final NativeOps pool;
    private final NativeOps poolBackward;
    private final NativeOps activate;
    private final NativeOps activateBackward;
    private final int[] kernel;
    private final int[] stride;
    private final boolean relu;
    private final TiledMaxPooling tiled;
    private final StageBuffers buffers = new StageBuffers();
    private INDArray input;
    private INDArray pooled;
    private boolean tiledForward;

    /**
     * Creates the stage.
     *
     * @param where the layer, for messages
     * @param kernel kernel height and width
     * @param stride stride height and width
     * @param relu whether to apply the previous convolution's deferred ReLU after pooling
     */
    MaxPoolingStage(String where, int[] kernel, int[] stride, boolean relu) {
        this.kernel = kernel.clone();
        this.stride = stride.clone();
        this.relu = relu;
        // kH, kW, sH, sW, pH, pW, dH, dW, same mode, extra parameter, NCHW
        long[] arguments = {kernel[0], kernel[1], stride[0], stride[1], 0, 0, 1, 1, 0, 0, 0};
        this.pool = NativeOps.bind(where, "maxpool2d", arguments);
        this.poolBackward = NativeOps.bind(where, "maxpool2d_bp", arguments);
        this.activate = NativeOps.bindWithFloat(where, "relu", 0.0);
        this.activateBackward = NativeOps.bindWithFloat(where, "relu_bp", 0.0);
        this.tiled = new TiledMaxPooling(kernel, relu);
    }

    @Override
    public INDArray forward(INDArray x) {
        input = x;
        long outH = (x.size(2) - kernel[0]) / stride[0] + 1;
        long outW = (x.size(3) - kernel[1]) / stride[1] + 1;
        pooled = buffers.get("pooled", x.size(0), x.size(1), outH, outW);
        tiledForward = TiledMaxPooling.applies(kernel, stride, x);
        if (tiledForward) {
            tiled.forward(x, pooled);
            return pooled;
        }
        pool.run(new INDArray[] {x}, pooled);
        if (!relu) {
            return pooled;
        }
        INDArray activation = buffers.get("activation", pooled.shape());
        activate.run(new INDArray[] {pooled}, activation);
        return activation;
    }

    @Override
    public INDArray backward(INDArray outputGradient) {
        if (tiledForward) {
            INDArray inputGradient = buffers.get("input-gradient", input.shape());
            tiled.backward(FloatBuffers.contiguous(outputGradient) ? outputGradient : outputGradient.dup('c'),
                    inputGradient);
            return inputGradient;
        }
        if (relu) {
            activateBackward.run(new INDArray[] {pooled, outputGradient}, outputGradient);
        }
        INDArray inputGradient = buffers.get("input-gradient", input.shape());
        poolBackward.run(new INDArray[] {input, outputGradient}, inputGradient);
        return inputGradient;
    }
}
