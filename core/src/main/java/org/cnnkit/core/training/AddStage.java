package org.cnnkit.core.training;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The element-wise sum of two activations (DL4J's {@code ElementWiseVertex} with {@code Add}, such as a residual
 * connection). Its output gradient is the gradient of both inputs; the second input gets a copy of its own, because
 * stages may overwrite the gradient they are given.
 */
final class AddStage {

    private final StageBuffers buffers = new StageBuffers();

    /**
     * Adds two activations.
     *
     * @param a the first input
     * @param b the second input, of the same shape
     * @return the sum, a buffer valid until the next forward pass
     */
    INDArray forward(INDArray a, INDArray b) {
        INDArray output = buffers.get("output", a.shape());
        return output.assign(a).addi(b);
    }

    /**
     * Returns the gradient of the second input: a copy of the output gradient (the first input gets the output
     * gradient itself).
     *
     * @param outputGradient the gradient of the sum
     * @return a copy, a buffer valid until the next backward pass
     */
    INDArray secondInputGradient(INDArray outputGradient) {
        return buffers.get("gradient-copy", outputGradient.shape()).assign(outputGradient);
    }
}
