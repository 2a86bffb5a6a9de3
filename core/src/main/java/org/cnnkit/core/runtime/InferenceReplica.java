package org.cnnkit.core.runtime;

import org.nd4j.linalg.api.ndarray.INDArray;

/** One worker's copy of a network for {@link ParallelInference}: used by one thread at a time. */
interface InferenceReplica {

    /**
     * Runs inference on a piece of a batch.
     *
     * @param slice the images, batch first
     * @return the network's outputs, detached from any buffer of the replica
     */
    INDArray[] output(INDArray slice);
}
