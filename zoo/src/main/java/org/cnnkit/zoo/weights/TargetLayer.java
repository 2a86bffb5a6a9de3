package org.cnnkit.zoo.weights;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.layers.Layer;

/**
 * A DL4J layer that is to receive Keras weights: what a {@link KerasLayerConverter} needs to know about it.
 *
 * @param name the layer name, which is also the Keras layer name in the weights file
 * @param config the DL4J layer configuration
 * @param paramShapes the DL4J parameter shapes by key ({@code W}, {@code b}, {@code gamma}, ...), in DL4J order
 * @param preProcessor the input preprocessor in front of the layer (for example the flattening of a
 *     convolutional feature map in front of a dense layer), or null when there is none
 */
public record TargetLayer(String name, Layer config, Map<String, long[]> paramShapes, InputPreProcessor preProcessor) {

    /**
     * Validates and copies the description.
     *
     * @param name the layer name, which is also the Keras layer name in the weights file
     * @param config the DL4J layer configuration
     * @param paramShapes the DL4J parameter shapes by key ({@code W}, {@code b}, {@code gamma}, ...), in DL4J order
     * @param preProcessor the input preprocessor in front of the layer (for example the flattening of a convolutional feature map in front of a dense layer), or null when there is none
     * @throws NullPointerException if {@code name}, {@code config} or {@code paramShapes} is null
     */
    public TargetLayer {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(config, "config");
        Map<String, long[]> copy = new LinkedHashMap<>();
        Objects.requireNonNull(paramShapes, "paramShapes").forEach((k, v) -> copy.put(k, v.clone()));
        paramShapes = Collections.unmodifiableMap(copy);
    }

    /**
     * Returns the shape of one DL4J parameter.
     *
     * @param key the parameter key
     * @return a copy of its shape
     * @throws IllegalArgumentException if the layer has no such parameter
     */
    public long[] paramShape(String key) {
        long[] shape = paramShapes.get(key);
        if (shape == null) {
            throw new IllegalArgumentException("layer '" + name + "' has no parameter '" + key + "', only "
                    + paramShapes.keySet());
        }
        return shape.clone();
    }

    /**
     * Returns whether the layer has a parameter.
     *
     * @param key the parameter key
     * @return true if present
     */
    public boolean hasParam(String key) {
        return paramShapes.containsKey(key);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(name).append(" (").append(config.getClass().getSimpleName());
        paramShapes.forEach((k, v) -> sb.append(", ").append(k).append(Arrays.toString(v)));
        return sb.append(')').toString();
    }
}
