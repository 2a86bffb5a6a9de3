package org.cnnkit.core.training;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One layer of a compiled training step: its forward pass, keeping what its backward pass needs, and its backward
 * pass, writing its parameter gradients into the network's gradient view.
 */
interface TrainingStage {

    /**
     * Computes the stage's output for a batch.
     *
     * @param input the stage's input (the previous stage's output, or the batch's features)
     * @return the output, a buffer owned by this stage and valid until its next forward pass
     */
    INDArray forward(INDArray input);

    /**
     * Computes the parameter gradients and, unless this is the first stage, the gradient of the stage's input.
     *
     * @param outputGradient the loss gradient of this stage's output; the stage may overwrite it
     * @return the gradient of the input, or null for the first stage (nothing needs it)
     */
    INDArray backward(INDArray outputGradient);
}
