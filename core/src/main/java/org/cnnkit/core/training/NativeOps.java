package org.cnnkit.core.training;

import org.cnnkit.core.CnnkitException;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/** Runs one libnd4j operation by name on given inputs into given outputs: no output shape inference, no allocation. */
final class NativeOps {

    private NativeOps() {
    }

    /**
     * Runs an operation.
     *
     * @param where the layer the operation belongs to, for the error message
     * @param name the libnd4j operation, such as {@code conv2d_bp}
     * @param inputs its inputs
     * @param outputs the arrays it writes
     * @param integers its integer arguments
     */
    static void run(String where, String name, INDArray[] inputs, INDArray[] outputs, long... integers) {
        DynamicCustomOp op = DynamicCustomOp.builder(name)
                .addInputs(inputs)
                .addOutputs(outputs)
                .addIntegerArguments(toInts(integers))
                .build();
        exec(where, op);
    }

    /** Runs an element-wise operation with one floating-point argument (such as {@code relu} with its cut-off). */
    static void runWithFloat(String where, String name, INDArray[] inputs, INDArray output, double argument) {
        DynamicCustomOp op = DynamicCustomOp.builder(name)
                .addInputs(inputs)
                .addOutputs(output)
                .addFloatingPointArguments(argument)
                .build();
        exec(where, op);
    }

    /**
     * Applies a stage's ReLU: into the stage's {@code "activation"} buffer, keeping {@code x} for the backward step.
     *
     * @param where the layer, for the error message
     * @param x the values before the ReLU
     * @param buffers the stage's buffers
     * @return the values after the ReLU
     */
    static INDArray relu(String where, INDArray x, StageBuffers buffers) {
        INDArray activation = buffers.get("activation", x.shape());
        runWithFloat(where, "relu", new INDArray[] {x}, activation, 0.0);
        return activation;
    }

    /**
     * Takes a gradient back through a stage's ReLU, in place.
     *
     * @param where the layer, for the error message
     * @param x the values before the ReLU, as the forward step saw them
     * @param gradient the gradient of the ReLU's output, overwritten with the gradient of its input
     */
    static void reluBackwardInPlace(String where, INDArray x, INDArray gradient) {
        runWithFloat(where, "relu_bp", new INDArray[] {x, gradient}, gradient, 0.0);
    }

    private static void exec(String where, DynamicCustomOp op) {
        try {
            Nd4j.exec(op);
        } catch (RuntimeException e) {
            throw new CnnkitException(where + ": the native operation " + op.opName() + " failed during a compiled"
                    + " training step (" + e.getMessage() + ")", e);
        }
    }

    private static int[] toInts(long[] values) {
        int[] ints = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            ints[i] = Math.toIntExact(values[i]);
        }
        return ints;
    }
}
