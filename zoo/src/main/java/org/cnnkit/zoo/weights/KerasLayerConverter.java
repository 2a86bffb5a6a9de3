package org.cnnkit.zoo.weights;

import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Converts the weights of one Keras layer, in Keras' layout, into the parameters of one DL4J layer.
 *
 * <p>{@link KerasWeights} uses one converter per layer type; the built-in ones ({@link #defaults()}) handle
 * {@code Conv2D} ({@code ConvolutionLayer}), {@code DepthwiseConv2D} ({@code DepthwiseConvolution2D}),
 * {@code Dense} ({@code DenseLayer}, {@code OutputLayer}) and {@code BatchNormalization}. To load another layer
 * type, implement this interface and pass it to {@link KerasWeights#open(java.nio.file.Path, List)}.
 *
 * <p>Loading happens in two steps so that a mismatch is found before any parameter changes: first
 * {@link #expectedWeights} says which Keras weights (names and Keras-layout shapes) the DL4J layer needs, and the
 * loader compares them with the file; then {@link #convert} turns the file's arrays into DL4J parameters.
 */
public interface KerasLayerConverter {

    /**
     * Returns whether this converter handles the layer.
     *
     * @param target the DL4J layer to load
     * @return true if {@link #expectedWeights} and {@link #convert} work for it
     */
    boolean supports(TargetLayer target);

    /**
     * Returns the Keras weights that the layer needs, with their shapes in Keras' layout, derived from the DL4J
     * parameter shapes.
     *
     * @param target the DL4J layer to load
     * @return the expected Keras weights, in any order, each name unique
     */
    List<KerasWeightSpec> expectedWeights(TargetLayer target);

    /**
     * Converts the file's weights, already checked against {@link #expectedWeights}, into DL4J parameters.
     *
     * @param target the DL4J layer to load
     * @param kerasWeights the Keras arrays by short weight name (such as {@code kernel}, {@code moving_mean})
     * @return DL4J parameter arrays by parameter key ({@code W}, {@code b}, {@code gamma}, ...), each with exactly
     *     the shape of the layer's parameter
     */
    Map<String, INDArray> convert(TargetLayer target, Map<String, INDArray> kerasWeights);

    /**
     * Returns the built-in converters: Conv2D, DepthwiseConv2D, Dense (including a Dense that follows a Flatten of
     * a channels-last feature map) and BatchNormalization.
     *
     * @return the built-in converters, in the order they are tried
     */
    static List<KerasLayerConverter> defaults() {
        return StandardConverters.ALL;
    }
}
