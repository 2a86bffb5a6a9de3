package org.cnnkit.core.training;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The output layer: dense, softmax and multi-class cross-entropy (DL4J's {@code OutputLayer} with {@code SOFTMAX} and
 * {@code MCXENT}). Its output gradient is the softmax minus the labels, per example, as DL4J's loss gives it (DL4J's
 * updater divides the gradients by the batch size afterwards).
 */
final class SoftmaxOutputStage {

    /** DL4J's {@code LossMCXENT} clips probabilities to this distance from 0 and 1 before the logarithm. */
    private static final double CLIP = 1e-10;

    private final DenseStage dense;
    private final StageBuffers buffers = new StageBuffers();
    private INDArray probabilities;

    /**
     * Creates the stage.
     *
     * @param dense the output layer's linear part (no activation)
     */
    SoftmaxOutputStage(DenseStage dense) {
        this.dense = dense;
    }

    /**
     * Computes the class probabilities.
     *
     * @param input the previous stage's output
     * @return the probabilities, a buffer valid until the next forward pass
     */
    INDArray forward(INDArray input) {
        INDArray logits = dense.forward(input);
        probabilities = buffers.get("probabilities", logits.shape());
        Nd4j.exec(new SoftMax(logits, probabilities, -1));
        return probabilities;
    }

    /**
     * Returns the mean cross-entropy of the last forward pass against labels, as DL4J scores it.
     *
     * @param labels one-hot labels
     * @return the mean loss per example
     */
    double loss(INDArray labels) {
        INDArray clipped = Transforms.min(Transforms.max(probabilities, CLIP, true), 1.0 - CLIP, false);
        return -Transforms.log(clipped, false).muli(labels).sumNumber().doubleValue() / labels.size(0);
    }

    /**
     * Computes the layer's gradients for labels after {@link #forward}.
     *
     * @param labels one-hot labels
     * @return the gradient of the layer's input
     */
    INDArray backward(INDArray labels) {
        INDArray gradient = buffers.get("gradient", probabilities.shape());
        Nd4j.exec(new org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.SubOp(probabilities, labels,
                gradient));
        return dense.backwardLinear(gradient);
    }
}
