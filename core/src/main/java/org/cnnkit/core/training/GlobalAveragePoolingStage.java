package org.cnnkit.core.training;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Global average pooling of NCHW maps to {@code [n, channels]} (DL4J's {@code GlobalPoolingLayer} with {@code AVG}
 * and collapsed dimensions), trained with libnd4j's {@code reduce_mean} and {@code reduce_mean_bp}.
 */
final class GlobalAveragePoolingStage implements TrainingStage {

    private static final long[] SPATIAL = {2, 3};

    private final NativeOps mean;
    private final NativeOps meanBackward;
    private final boolean first;
    private final StageBuffers buffers = new StageBuffers();
    private INDArray input;

    /**
     * Creates the stage.
     *
     * @param where the layer, for messages
     * @param first whether this stage reads the network's input
     */
    GlobalAveragePoolingStage(String where, boolean first) {
        this.mean = NativeOps.bind(where, "reduce_mean", SPATIAL);
        this.meanBackward = NativeOps.bind(where, "reduce_mean_bp", SPATIAL);
        this.first = first;
    }

    @Override
    public INDArray forward(INDArray x) {
        input = x;
        INDArray output = buffers.get("output", x.size(0), x.size(1));
        mean.run(new INDArray[] {x}, output);
        return output;
    }

    @Override
    public INDArray backward(INDArray outputGradient) {
        if (first) {
            return null;
        }
        INDArray inputGradient = buffers.get("input-gradient", input.shape());
        meanBackward.run(new INDArray[] {input, outputGradient}, inputGradient);
        return inputGradient;
    }
}
