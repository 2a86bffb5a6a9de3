package org.cnnkit.core.training;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An activation layer computed by one libnd4j operation and its {@code _bp} operation with one floating-point
 * argument, such as {@code relu6} (cut-off 0) or {@code relu}.
 */
final class ActivationStage implements TrainingStage {

    private final NativeOps forward;
    private final NativeOps backward;
    private final boolean first;
    private final StageBuffers buffers = new StageBuffers();
    private INDArray input;

    /**
     * Creates the stage.
     *
     * @param where the layer, for messages
     * @param operation the libnd4j operation, such as {@code relu6}; its backward pass is {@code operation + "_bp"}
     * @param argument its floating-point argument
     * @param first whether this stage reads the network's input
     */
    ActivationStage(String where, String operation, double argument, boolean first) {
        this.forward = NativeOps.bindWithFloat(where, operation, argument);
        this.backward = NativeOps.bindWithFloat(where, operation + "_bp", argument);
        this.first = first;
    }

    @Override
    public INDArray forward(INDArray x) {
        input = x;
        INDArray output = buffers.get("output", x.shape());
        forward.run(new INDArray[] {x}, output);
        return output;
    }

    @Override
    public INDArray backward(INDArray outputGradient) {
        if (first) {
            return null;
        }
        backward.run(new INDArray[] {input, outputGradient}, outputGradient);
        return outputGradient;
    }
}
