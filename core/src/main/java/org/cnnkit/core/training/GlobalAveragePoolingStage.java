package org.cnnkit.core.training;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Global average pooling of NCHW maps to {@code [n, channels]} (DL4J's {@code GlobalPoolingLayer} with {@code AVG}
 * and collapsed dimensions), trained with libnd4j's {@code reduce_mean} and {@code reduce_mean_bp}. Both run on
 * {@code [n * channels, h * w]} views of the maps (a mean along the last axis of a matrix), which libnd4j computes
 * about 30% faster than the same mean over the last two axes of the 4D arrays, with the same results. The views are
 * made once per array (the stage's and its neighbours' buffers are the same arrays every step of a batch size).
 */
final class GlobalAveragePoolingStage implements TrainingStage {

    private static final long[] ROW = {1};

    private final NativeOps mean;
    private final NativeOps meanBackward;
    private final boolean first;
    private final StageBuffers buffers = new StageBuffers();
    private final View inputRows = new View(true);
    private final View outputVector = new View(false);
    private final View outputGradientVector = new View(false);
    private final View inputGradientRows = new View(true);
    private INDArray input;

    /**
     * Creates the stage.
     *
     * @param where the layer, for messages
     * @param first whether this stage reads the network's input
     */
    GlobalAveragePoolingStage(String where, boolean first) {
        this.mean = NativeOps.bind(where, "reduce_mean", ROW);
        this.meanBackward = NativeOps.bind(where, "reduce_mean_bp", ROW);
        this.first = first;
    }

    @Override
    public INDArray forward(INDArray x) {
        input = x;
        INDArray output = buffers.get("output", x.size(0), x.size(1));
        mean.run(new INDArray[] {inputRows.of(x)}, outputVector.of(output));
        return output;
    }

    @Override
    public INDArray backward(INDArray outputGradient) {
        if (first) {
            return null;
        }
        INDArray inputGradient = buffers.get("input-gradient", input.shape());
        meanBackward.run(new INDArray[] {inputRows.of(input), outputGradientVector.of(outputGradient)},
                inputGradientRows.of(inputGradient));
        return inputGradient;
    }

    /**
     * The reshaped view of the last array it was asked for: maps {@code [n, c, h, w]} as the matrix
     * {@code [n * c, h * w]}, or a matrix {@code [n, c]} as the vector {@code [n * c]} (a view of a contiguous array;
     * else a copy, which is only read: the written arrays are the stage's own contiguous buffers).
     */
    private static final class View {

        private final boolean maps;
        private INDArray base;
        private INDArray view;

        View(boolean maps) {
            this.maps = maps;
        }

        INDArray of(INDArray array) {
            if (array != base) {
                view = maps ? array.reshape('c', array.size(0) * array.size(1), array.size(2) * array.size(3))
                        : array.reshape('c', new long[] {array.length()});
                // a copy (of a non-contiguous array) is made again on every call, as its values change
                base = FloatBuffers.contiguous(array) ? array : null;
            }
            return view;
        }
    }
}
