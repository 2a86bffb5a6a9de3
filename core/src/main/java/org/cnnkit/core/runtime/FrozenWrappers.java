package org.cnnkit.core.runtime;

import org.deeplearning4j.nn.conf.graph.FrozenVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer;

/**
 * The layer or vertex configuration inside DL4J's frozen wrappers ({@code FrozenLayer},
 * {@code FrozenLayerWithBackprop} and other {@code BaseWrapperLayer}s, {@code FrozenVertex}), for code that reads a
 * network's inference: freezing only changes training, so a wrapped layer computes what the layer it wraps computes.
 * The compiled inference plans and the ONNX export read layers through it.
 */
public final class FrozenWrappers {

    private FrozenWrappers() {
    }

    /**
     * Returns the layer configuration inside any number of frozen or other wrappers.
     *
     * @param layer a layer configuration
     * @return the innermost wrapped layer, or {@code layer} itself when it wraps nothing
     */
    public static Layer unwrap(Layer layer) {
        Layer inner = layer;
        while (true) {
            if (inner instanceof FrozenLayer frozen) {
                inner = frozen.getLayer();
            } else if (inner instanceof BaseWrapperLayer wrapper) {
                inner = wrapper.getUnderlying();
            } else {
                return inner;
            }
        }
    }

    /**
     * Returns the vertex configuration inside any number of frozen vertices.
     *
     * @param vertex a vertex configuration
     * @return the innermost wrapped vertex, or {@code vertex} itself when it is not frozen
     */
    public static GraphVertex unwrap(GraphVertex vertex) {
        GraphVertex inner = vertex;
        while (inner instanceof FrozenVertex frozen) {
            inner = frozen.getUnderlying();
        }
        return inner;
    }
}
