package org.cnnkit.zoo;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cnnkit.core.image.InputShape;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.conf.preprocessor.BaseInputPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Rewrites an inference graph configuration to run its image layers channels-last (NHWC) while it still takes and
 * returns images channels-first (NCHW), as every cnnkit caller gives them.
 *
 * <p>Why: ND4J's oneDNN convolutions reorder NCHW data on every call; on NHWC data they do not. Measured per
 * operation (2 cores): a 3x3 convolution of 64 channels at 224x224 took 97 ms instead of 281 (one thread, 4 images),
 * a 1x1 convolution of MobileNetV2 0.4-0.5 ms instead of 1.0-1.2, a depthwise convolution 0.5 ms instead of 1.9.
 *
 * <p>The rewrite: the first layers get a preprocessor that permutes the input to NHWC once; every convolution,
 * pooling, padding and batch normalization gets the NHWC format; global pooling pools dimensions 1 and 2; a flatten
 * before a dense layer flattens NHWC, so the dense layer's weight rows are put in (height, width, channel) order
 * ({@link #denseRowsChannelsLast}); an output that is an image gets a last vertex that permutes it back to NCHW and
 * takes the output's name (the layer it follows is renamed {@code <name>_nhwc}). A graph with any other kind of
 * vertex is left as it is.
 */
final class ChannelsLast {

    /** Suffix of the layer renamed when a permute-back vertex takes its output name. */
    static final String RENAMED_SUFFIX = "_nhwc";

    private ChannelsLast() {
    }

    /** What the rewrite did: renamed layers (new name to old) and dense layers whose rows need reordering. */
    record Rewrite(Map<String, String> renamed, Map<String, long[]> denseRowOrder) {
    }

    /**
     * Rewrites {@code conf} in place, or leaves it untouched and returns null when some vertex is of a kind this
     * class does not know.
     *
     * @param conf a configuration of image layers with one image input
     * @param inputShape the input images' shape
     * @return what changed, or null if nothing did
     */
    static Rewrite convert(ComputationGraphConfiguration conf, InputShape inputShape) {
        if (conf.getNetworkInputs().size() != 1) {
            return null;
        }
        String input = conf.getNetworkInputs().get(0);
        InputType imageType = InputType.convolutional(inputShape.height(), inputShape.width(), inputShape.channels());
        Map<String, InputType> types = conf.getLayerActivationTypes(true, false, imageType);
        Map<String, GraphVertex> vertices = conf.getVertices();
        Map<String, List<String>> inputs = conf.getVertexInputs();
        Map<String, List<String>> readers = InferenceFolding.consumersOf(inputs);
        if (!allSupported(vertices, inputs, readers, input)) {
            return null;
        }
        Map<String, long[]> denseRowOrder = new HashMap<>();
        for (Map.Entry<String, GraphVertex> entry : vertices.entrySet()) {
            String name = entry.getKey();
            GraphVertex vertex = entry.getValue();
            if (vertex instanceof PreprocessorVertex flatten) {
                InputType before = types.get(inputs.get(name).get(0));
                ((CnnToFeedForwardPreProcessor) flatten.getPreProcessor()).setFormat(CNN2DFormat.NHWC);
                for (String reader : readers.getOrDefault(name, List.of())) {
                    denseRowOrder.put(reader, shapeOf(before));
                }
                continue;
            }
            if (!(vertex instanceof LayerVertex layerVertex)) {
                continue;
            }
            Layer layer = layerVertex.getLayerConf().getLayer();
            if (layerVertex.getPreProcessor() instanceof CnnToFeedForwardPreProcessor flatten) {
                flatten.setFormat(CNN2DFormat.NHWC);
                denseRowOrder.put(name, shapeOf(types.get(inputs.get(name).get(0))));
            }
            if (layer instanceof ConvolutionLayer convolution) {
                convolution.setCnn2dDataFormat(CNN2DFormat.NHWC);
            } else if (layer.getClass() == SubsamplingLayer.class) {
                ((SubsamplingLayer) layer).setCnn2dDataFormat(CNN2DFormat.NHWC);
            } else if (layer instanceof ZeroPaddingLayer padding) {
                padding.setDataFormat(CNN2DFormat.NHWC);
            } else if (layer instanceof BatchNormalization batchNorm) {
                batchNorm.setCnn2DFormat(CNN2DFormat.NHWC);
            } else if (layer instanceof GlobalPoolingLayer global) {
                global.setPoolingDimensions(new int[] {1, 2});
            }
            if (inputs.get(name).contains(input)) {
                layerVertex.setPreProcessor(new ToChannelsLast());
            }
        }
        Map<String, String> renamed = permuteImageOutputsBack(conf, types);
        return new Rewrite(renamed, denseRowOrder);
    }

    /**
     * Returns dense weights {@code [height x width x channels, units]} whose rows, in (channel, height, width) order
     * for an NCHW flatten, are put in (height, width, channel) order for an NHWC flatten.
     */
    static INDArray denseRowsChannelsLast(INDArray weights, long[] chw) {
        long units = weights.size(1);
        return weights.reshape('c', chw[0], chw[1], chw[2], units).permute(1, 2, 0, 3).dup('c')
                .reshape('c', chw[0] * chw[1] * chw[2], units);
    }

    private static boolean allSupported(Map<String, GraphVertex> vertices, Map<String, List<String>> inputs,
            Map<String, List<String>> readers, String input) {
        for (Map.Entry<String, GraphVertex> entry : vertices.entrySet()) {
            GraphVertex vertex = entry.getValue();
            boolean supported;
            if (vertex instanceof LayerVertex layerVertex) {
                Layer layer = layerVertex.getLayerConf().getLayer();
                InputPreProcessor preProcessor = layerVertex.getPreProcessor();
                boolean knownLayer = layer.getClass() == ConvolutionLayer.class
                        || layer.getClass() == DepthwiseConvolution2D.class || layer.getClass() == SubsamplingLayer.class
                        || layer.getClass() == ZeroPaddingLayer.class || layer.getClass() == BatchNormalization.class
                        || layer instanceof ActivationLayer || layer instanceof GlobalPoolingLayer
                        || layer.getClass() == DenseLayer.class || layer.getClass() == OutputLayer.class;
                boolean knownPreProcessor = preProcessor == null
                        || (preProcessor instanceof CnnToFeedForwardPreProcessor
                                && (layer.getClass() == DenseLayer.class || layer.getClass() == OutputLayer.class));
                boolean readsInputAlone = !inputs.get(entry.getKey()).contains(input) || preProcessor == null;
                supported = knownLayer && knownPreProcessor && readsInputAlone;
            } else if (vertex instanceof PreprocessorVertex preprocessorVertex) {
                // A flatten whose readers are all dense layers (their weight rows are reordered).
                supported = preprocessorVertex.getPreProcessor() instanceof CnnToFeedForwardPreProcessor
                        && readers.getOrDefault(entry.getKey(), List.of()).stream().allMatch(reader ->
                                vertices.get(reader) instanceof LayerVertex lv
                                        && lv.getPreProcessor() == null
                                        && (lv.getLayerConf().getLayer().getClass() == DenseLayer.class
                                                || lv.getLayerConf().getLayer().getClass() == OutputLayer.class));
            } else {
                supported = vertex instanceof ElementWiseVertex;
            }
            if (!supported) {
                return false;
            }
        }
        return true;
    }

    /** Gives each image output a vertex that permutes it back to NCHW under the output's name. */
    private static Map<String, String> permuteImageOutputsBack(ComputationGraphConfiguration conf,
            Map<String, InputType> types) {
        Map<String, String> renamed = new HashMap<>();
        for (String output : List.copyOf(conf.getNetworkOutputs())) {
            if (!(types.get(output) instanceof InputType.InputTypeConvolutional)) {
                continue;
            }
            String channelsLast = output + RENAMED_SUFFIX;
            Map<String, GraphVertex> vertices = new LinkedHashMap<>();
            Map<String, List<String>> inputs = new LinkedHashMap<>();
            for (Map.Entry<String, GraphVertex> entry : conf.getVertices().entrySet()) {
                String name = entry.getKey().equals(output) ? channelsLast : entry.getKey();
                GraphVertex vertex = entry.getValue();
                if (entry.getKey().equals(output) && vertex instanceof LayerVertex layerVertex) {
                    layerVertex.getLayerConf().getLayer().setLayerName(channelsLast);
                }
                vertices.put(name, vertex);
                List<String> sources = new ArrayList<>();
                for (String source : conf.getVertexInputs().get(entry.getKey())) {
                    sources.add(source.equals(output) ? channelsLast : source);
                }
                inputs.put(name, sources);
            }
            vertices.put(output, new PreprocessorVertex(new ToChannelsFirst()));
            inputs.put(output, List.of(channelsLast));
            conf.setVertices(vertices);
            conf.setVertexInputs(inputs);
            renamed.put(channelsLast, output);
        }
        return renamed;
    }

    private static long[] shapeOf(InputType type) {
        InputType.InputTypeConvolutional image = (InputType.InputTypeConvolutional) type;
        return new long[] {image.getChannels(), image.getHeight(), image.getWidth()};
    }

    /**
     * Permutes images from one layout to the other, and gradients the opposite way. The two directions are two
     * field-free classes, so that DL4J's JSON form of a graph (its model files) keeps them as they are.
     */
    abstract static class ImageLayout extends BaseInputPreProcessor {
        private static final int[] TO_CHANNELS_LAST = {0, 2, 3, 1};
        private static final int[] TO_CHANNELS_FIRST = {0, 3, 1, 2};

        /** Whether this turns NCHW images into NHWC (else NHWC into NCHW). */
        abstract boolean toChannelsLast();

        @Override
        public INDArray preProcess(INDArray input, int miniBatchSize, LayerWorkspaceMgr workspaceMgr) {
            int[] order = toChannelsLast() ? TO_CHANNELS_LAST : TO_CHANNELS_FIRST;
            return workspaceMgr.dup(ArrayType.ACTIVATIONS, input.permute(order), 'c');
        }

        @Override
        public INDArray backprop(INDArray output, int miniBatchSize, LayerWorkspaceMgr workspaceMgr) {
            int[] order = toChannelsLast() ? TO_CHANNELS_FIRST : TO_CHANNELS_LAST;
            return workspaceMgr.dup(ArrayType.ACTIVATION_GRAD, output.permute(order), 'c');
        }

        @Override
        public InputType getOutputType(InputType inputType) {
            InputType.InputTypeConvolutional image = (InputType.InputTypeConvolutional) inputType;
            return InputType.convolutional(image.getHeight(), image.getWidth(), image.getChannels(),
                    toChannelsLast() ? CNN2DFormat.NHWC : CNN2DFormat.NCHW);
        }
    }

    /** NCHW images to NHWC. */
    static final class ToChannelsLast extends ImageLayout {
        @Override
        boolean toChannelsLast() {
            return true;
        }

        @Override
        public ToChannelsLast clone() {
            return new ToChannelsLast();
        }
    }

    /** NHWC images back to NCHW. */
    static final class ToChannelsFirst extends ImageLayout {
        @Override
        boolean toChannelsLast() {
            return false;
        }

        @Override
        public ToChannelsFirst clone() {
            return new ToChannelsFirst();
        }
    }
}
