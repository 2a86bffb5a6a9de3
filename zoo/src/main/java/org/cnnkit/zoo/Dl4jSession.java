package org.cnnkit.zoo;

import org.cnnkit.core.runtime.ParallelInference;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The {@link InferenceEngine#DL4J} engine: the graph's compiled inference plans, one replica per core
 * ({@link ParallelInference}). It shares the graph's parameters, so it sees training done in place.
 */
final class Dl4jSession implements InferenceSession {

    private final ParallelInference inference;

    Dl4jSession(ComputationGraph network) {
        this.inference = ParallelInference.of(network);
    }

    @Override
    public InferenceEngine engine() {
        return InferenceEngine.DL4J;
    }

    @Override
    public INDArray output(INDArray images) {
        return inference.outputSingle(images);
    }

    @Override
    public void close() {
        // nothing to release: idle worker threads end by themselves
    }
}
