package org.cnnkit.core.runtime;

import java.lang.reflect.Field;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.layers.LayerHelper;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNBatchNormHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.deeplearning4j.nn.layers.wrapper.BaseWrapperLayer;
import org.nd4j.linalg.api.buffer.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses, per DL4J layer type, the path a layer runs on, and installs DL4J's own oneDNN helper where that path is the
 * faster one. Package-private: {@link NativeRuntime} is the public entry point.
 *
 * <p>The choice, measured with the onednn-avx2 build on 2 shared cores, batch 32, each pair back to back in one JVM
 * (absolute times were inflated by other processes, load average 11 to 20; the ratios held across repetitions):
 * <ul>
 *   <li>{@code ConvolutionLayer} (plain 2D convolution, not its depthwise/separable subclasses): oneDNN
 *       {@code conv2d} instead of DL4J's Java-side im2col + gemm. 5x5 convolution 24 to 12 channels at 48x48:
 *       10x faster forward + backward, 14x forward; the notebook CNN's training step 5x faster.</li>
 *   <li>{@code BatchNormalization}: oneDNN {@code batchnorm} instead of DL4J's chain of broadcast operations
 *       (not with {@code lockGammaBeta}, which the helper does not support, as in DL4J). MobileNetV2 alpha 1.0
 *       inference at 100x100: 1.6x faster on top of the convolution helper.</li>
 *   <li>{@code SubsamplingLayer} (max/average pooling): left on DL4J's built-in path, which already runs the native
 *       {@code maxpool2d}/{@code avgpool2d} operation. The helper runs the same operation and measured 0.83x to
 *       0.99x the built-in speed for 2x2 and 4x4 max pooling, forward and backward.</li>
 *   <li>Depthwise and separable convolution, dense, global pooling, activations, output and loss layers have no
 *       helper: their built-in path is already a single native operation (or a gemm).</li>
 * </ul>
 * A frozen layer ({@code FrozenLayer}, {@code FrozenLayerWithBackprop}) gets the helper of the layer it wraps.
 */
final class FastLayerPaths {

    private static final Logger LOG = LoggerFactory.getLogger(FastLayerPaths.class);

    private static final Field CONVOLUTION_HELPER = helperField(ConvolutionLayer.class);
    private static final Field BATCH_NORM_HELPER = helperField(BatchNormalization.class);

    private FastLayerPaths() {
    }

    /**
     * Reads the value of the fast-paths property: anything but {@code false} (ignoring case and blanks) means on.
     *
     * @param value the property value, or null when unset
     * @return whether the fast paths are wanted
     */
    static boolean wantedByProperty(String value) {
        return value == null || !value.trim().equalsIgnoreCase("false");
    }

    /** Tells whether the helper fields of this DL4J version were found. */
    static boolean helpersAccessible() {
        return CONVOLUTION_HELPER != null && BATCH_NORM_HELPER != null;
    }

    /** One line naming the path of each layer type, for the runtime's INFO line. */
    static String summary() {
        return "conv2d=oneDNN, batchnorm=oneDNN, pooling=native op (built-in), depthwise=native op (built-in)";
    }

    /**
     * Installs the faster helper in each layer that has one and does not have a helper yet.
     *
     * @param layers the layers of an initialized network
     * @return how many layers got a helper
     */
    static int install(Layer[] layers) {
        int installed = 0;
        for (Layer layer : layers) {
            if (install(layer)) {
                installed++;
            }
        }
        return installed;
    }

    /**
     * Installs the faster helper in one layer, looking inside frozen wrappers.
     *
     * @param layer a layer of an initialized network
     * @return true if the layer got a helper
     */
    static boolean install(Layer layer) {
        Layer inner = layer;
        while (inner instanceof BaseWrapperLayer wrapper) {
            inner = wrapper.getUnderlying();
        }
        if (inner.getHelper() != null) {
            return false;
        }
        DataType dataType = inner.params() == null ? DataType.FLOAT : inner.params().dataType();
        if (inner.getClass() == ConvolutionLayer.class) {
            return set(CONVOLUTION_HELPER, inner, new MKLDNNConvHelper(dataType));
        }
        if (inner instanceof BatchNormalization bn && bn.getClass() == BatchNormalization.class
                && !bn.layerConf().isLockGammaBeta()) {
            return set(BATCH_NORM_HELPER, inner, new MKLDNNBatchNormHelper(dataType));
        }
        return false;
    }

    private static boolean set(Field field, Layer layer, LayerHelper helper) {
        try {
            field.set(layer, helper);
            return true;
        } catch (IllegalAccessException | IllegalArgumentException e) {
            LOG.warn("Could not install {} in layer {}; it keeps DL4J's built-in path", helper.getClass().getSimpleName(),
                    layer.getClass().getSimpleName(), e);
            return false;
        }
    }

    private static Field helperField(Class<?> layerType) {
        try {
            Field field = layerType.getDeclaredField("helper");
            field.setAccessible(true);
            return field;
        } catch (NoSuchFieldException | RuntimeException e) {
            LOG.warn("DL4J layer {} has no accessible 'helper' field; fast paths stay off", layerType.getName(), e);
            return null;
        }
    }
}
