package org.cnnkit.core.runtime;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A replica that runs DL4J's own forward pass: a graph of the same configuration viewing the original's parameter
 * array, with cnnkit's fast layer paths. Used for graphs that {@link InferencePlanCompiler} does not support.
 */
final class GraphReplica implements InferenceReplica {

    private final ComputationGraph replica;

    GraphReplica(ComputationGraph graph) {
        ComputationGraph copy = new ComputationGraph(graph.getConfiguration().clone());
        copy.init(graph.params(), false);
        this.replica = NativeRuntime.accelerate(copy);
    }

    @Override
    public INDArray[] output(INDArray slice) {
        return replica.output(false, slice);
    }
}
