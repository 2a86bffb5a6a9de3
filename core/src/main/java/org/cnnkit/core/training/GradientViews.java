package org.cnnkit.core.training;

import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The parameter gradient views of a graph's layers (by parameter name, as DL4J's parameter initializers lay them out)
 * into one flat gradient array: the graph's own, or another array of the same layout that a second replica of the
 * step writes and that is then added to the graph's.
 */
final class GradientViews {

    private final ComputationGraph graph;
    private final INDArray flat;

    private GradientViews(ComputationGraph graph, INDArray flat) {
        this.graph = graph;
        this.flat = flat;
    }

    /** Views into the graph's own flattened gradients. */
    static GradientViews ofGraph(ComputationGraph graph) {
        return new GradientViews(graph, graph.getFlattenedGradients());
    }

    /** Views into {@code flat}, an array shaped like the graph's flattened gradients. */
    static GradientViews ofArray(ComputationGraph graph, INDArray flat) {
        return new GradientViews(graph, flat);
    }

    /** The flat array the views look into. */
    INDArray flat() {
        return flat;
    }

    /**
     * Returns a layer's gradient views by parameter name ({@code W}, {@code b}).
     *
     * @param layerName the layer
     * @return its views into this flat array
     */
    Map<String, INDArray> of(String layerName) {
        Layer layer = graph.getLayer(layerName);
        INDArray own = layer.getGradientsViewArray();
        INDArray view = own;
        if (flat != graph.getFlattenedGradients()) {
            long start = own.offset() - graph.getFlattenedGradients().offset();
            view = flat.reshape(flat.length()).get(NDArrayIndex.interval(start, start + own.length()))
                    .reshape(own.shape());
        }
        return layer.conf().getLayer().initializer().getGradientsFromFlattened(layer.conf(), view);
    }
}
