package org.cnnkit.zoo;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.runtime.NativeRuntime;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Makes an inference-only copy of a graph with fewer layers and the same function: every batch normalization that
 * directly follows a convolution is folded into that convolution's weights and bias, and an activation layer that
 * directly follows is made that convolution's activation ({@code conv -> BN -> ReLU6} becomes one convolution with a
 * bias and ReLU6). Given the input shape, a zero padding in front of a convolution is also absorbed where the
 * convolution's {@code Same} mode pads exactly the same way (Keras' {@code correct_pad} before MobileNetV2's stride-2
 * convolutions is such a padding). Given the input shape, the image layers are also made to run channels-last inside
 * the copy, which still takes and returns NCHW images ({@link ChannelsLast}).
 *
 * <p>In inference a batch normalization is a fixed per-channel affine map, {@code y = gamma (x - mean) /
 * sqrt(var + eps) + beta}, so it can be applied to the convolution's weights once instead of to its output every
 * time. MobileNetV2 loses its 52 batch normalizations and 35 ReLU6 layers that way. The folded graph computes the
 * same function up to float rounding ({@code InferenceFoldingTest}), runs faster (docs/performance.md), and must
 * not be trained: it has no batch normalization left to learn. It is meant for inference in the running program,
 * not for saving: build it again from the saved original.
 *
 * <p>A padding is absorbed only when it is read by nothing but one plain or depthwise convolution without padding of
 * its own, in {@code Truncate} mode, without dilation, and pads each side as that convolution's {@code Same} mode
 * would for the input size at that point.
 *
 * <p>A pair is folded only when the convolution (a plain {@link ConvolutionLayer} or a {@link DepthwiseConvolution2D},
 * with the identity activation) feeds nothing but the batch normalization, and an activation layer is absorbed only
 * when it is the batch normalization's only consumer; the folded vertex takes the name of the last vertex it
 * replaces, so later vertices and the graph's outputs keep their names. Every other vertex is copied with its
 * parameters.
 */
public final class InferenceFolding {

    private InferenceFolding() {
    }

    /** The image layout change a channels-last rewrite puts between layers. */
    public enum LayoutChange {
        /** NCHW images to NHWC, before the first image layer that runs channels-last. */
        TO_CHANNELS_LAST,
        /** NHWC images back to NCHW, after the last image layer that runs channels-last. */
        TO_CHANNELS_FIRST
    }

    /**
     * Tells whether a preprocessor is one of the layout changes of the channels-last rewrite, and which, so that
     * code translating a folded graph (the ONNX exporter) can follow the layout without knowing the rewrite's classes.
     *
     * @param preProcessor a vertex's preprocessor
     * @return the layout change, or empty for any other preprocessor
     */
    public static java.util.Optional<LayoutChange> layoutChangeOf(
            org.deeplearning4j.nn.conf.InputPreProcessor preProcessor) {
        if (preProcessor instanceof ChannelsLast.ImageLayout layout) {
            return java.util.Optional.of(layout.toChannelsLast() ? LayoutChange.TO_CHANNELS_LAST
                    : LayoutChange.TO_CHANNELS_FIRST);
        }
        return java.util.Optional.empty();
    }

    /**
     * Returns the folded copy of {@code graph} (with the fast layer paths installed), folding batch normalization
     * and activations but not padding; the graph itself is not changed.
     *
     * @param graph an initialized graph, with its trained weights and batch-normalization statistics
     * @return a new graph for inference
     * @throws CnnkitException if the graph is not initialized
     */
    public static ComputationGraph fold(ComputationGraph graph) {
        return fold(graph, null);
    }

    /**
     * Returns the folded copy of {@code graph} (with the fast layer paths installed), absorbing zero paddings too;
     * the graph itself is not changed.
     *
     * @param graph an initialized graph with one image input, with its trained weights and statistics
     * @param inputShape the shape of the images the graph takes (null: no padding is absorbed)
     * @return a new graph for inference, for images of that shape
     * @throws CnnkitException if the graph is not initialized, or does not take images of that shape
     */
    public static ComputationGraph fold(ComputationGraph graph, InputShape inputShape) {
        if (graph.getVertices() == null) {
            throw new CnnkitException("cannot fold an uninitialized graph: call init() and load its weights first");
        }
        ComputationGraphConfiguration conf = graph.getConfiguration().clone();
        Map<String, GraphVertex> vertices = conf.getVertices();
        Map<String, List<String>> inputs = conf.getVertexInputs();
        List<String> outputs = conf.getNetworkOutputs();
        if (inputShape != null) {
            absorbPaddings(conf, inputShape);
        }
        Map<String, List<String>> consumers = consumersOf(inputs);

        List<Fold> folds = new ArrayList<>();
        for (String name : List.copyOf(vertices.keySet())) {
            Fold fold = foldStartingAt(name, vertices, inputs, consumers, outputs);
            if (fold != null) {
                folds.add(fold);
            }
        }
        if (!folds.isEmpty()) {
            absorb(conf, folds);
        }
        ChannelsLast.Rewrite channelsLast = inputShape == null ? null : ChannelsLast.convert(conf, inputShape);
        return copyOf(graph, conf, folds, channelsLast);
    }

    /** Replaces each fold's convolution, batch normalization and activation vertices by one convolution. */
    private static void absorb(ComputationGraphConfiguration conf, List<Fold> folds) {
        Map<String, GraphVertex> vertices = conf.getVertices();
        Map<String, List<String>> inputs = conf.getVertexInputs();
        Map<String, GraphVertex> newVertices = new LinkedHashMap<>();
        Map<String, List<String>> newInputs = new LinkedHashMap<>();
        Map<String, Fold> foldByConvolution = new HashMap<>();
        List<String> absorbed = new ArrayList<>();
        for (Fold fold : folds) {
            foldByConvolution.put(fold.convolution(), fold);
            absorbed.add(fold.batchNorm());
            if (fold.activation() != null) {
                absorbed.add(fold.activation());
            }
        }
        for (Map.Entry<String, GraphVertex> entry : vertices.entrySet()) {
            String name = entry.getKey();
            if (absorbed.contains(name)) {
                continue;
            }
            Fold fold = foldByConvolution.get(name);
            if (fold == null) {
                newVertices.put(name, entry.getValue());
                newInputs.put(name, inputs.get(name));
                continue;
            }
            LayerVertex convolution = (LayerVertex) entry.getValue();
            ConvolutionLayer layer = (ConvolutionLayer) convolution.getLayerConf().getLayer();
            layer.setHasBias(true);
            layer.setLayerName(fold.output());
            if (fold.activation() != null) {
                LayerVertex activation = (LayerVertex) vertices.get(fold.activation());
                layer.setActivationFn(((ActivationLayer) activation.getLayerConf().getLayer()).getActivationFn());
            }
            newVertices.put(fold.output(), convolution);
            newInputs.put(fold.output(), inputs.get(name));
        }
        conf.setVertices(newVertices);
        conf.setVertexInputs(newInputs);
    }

    /** Removes each zero padding that the convolution reading it can do itself in Same mode (see the class doc). */
    private static void absorbPaddings(ComputationGraphConfiguration conf, InputShape inputShape) {
        if (conf.getNetworkInputs().size() != 1) {
            throw new CnnkitException("padding can only be absorbed in a graph with one input, this one has "
                    + conf.getNetworkInputs().size());
        }
        Map<String, InputType> types;
        try {
            types = conf.getLayerActivationTypes(true, false,
                    InputType.convolutional(inputShape.height(), inputShape.width(), inputShape.channels()));
        } catch (RuntimeException e) {
            throw new CnnkitException("the graph does not take images of shape " + inputShape + ": " + e.getMessage(),
                    e);
        }
        Map<String, GraphVertex> vertices = conf.getVertices();
        Map<String, List<String>> inputs = conf.getVertexInputs();
        Map<String, List<String>> consumers = consumersOf(inputs);
        String networkInput = conf.getNetworkInputs().get(0);
        InputType imageType = InputType.convolutional(inputShape.height(), inputShape.width(), inputShape.channels());
        for (String name : List.copyOf(vertices.keySet())) {
            if (!(layerOf(vertices.get(name)) instanceof ZeroPaddingLayer padding) || inputs.get(name).size() != 1) {
                continue;
            }
            String reader = onlyConsumer(name, consumers, conf.getNetworkOutputs());
            if (reader == null || !(layerOf(vertices.get(reader)) instanceof ConvolutionLayer convolution)
                    || !isPlainOrDepthwise(convolution) || convolution.getConvolutionMode() != ConvolutionMode.Truncate
                    || !allEqual(convolution.getPadding(), 0) || !allEqual(convolution.getDilation(), 1)) {
                continue;
            }
            String source = inputs.get(name).get(0);
            InputType before = source.equals(networkInput) ? imageType : types.get(source);
            if (!(before instanceof InputType.InputTypeConvolutional image)) {
                continue;
            }
            int[] pad = padding.getPadding(); // top, bottom, left, right
            int[] kernel = convolution.getKernelSize();
            int[] stride = convolution.getStride();
            if (!samePadding(image.getHeight(), kernel[0], stride[0], pad[0], pad[1])
                    || !samePadding(image.getWidth(), kernel[1], stride[1], pad[2], pad[3])) {
                continue;
            }
            convolution.setConvolutionMode(ConvolutionMode.Same);
            inputs.put(reader, List.of(source));
            vertices.remove(name);
            inputs.remove(name);
            consumers = consumersOf(inputs);
        }
    }

    /** Whether Same mode pads a size-{@code size} dimension by {@code before} and {@code after} (as TensorFlow). */
    private static boolean samePadding(long size, int kernel, int stride, int before, int after) {
        long out = (size + stride - 1) / stride;
        long total = Math.max((out - 1) * stride + kernel - size, 0);
        return before == total / 2 && after == total - total / 2;
    }

    private static boolean allEqual(int[] values, int expected) {
        for (int value : values) {
            if (value != expected) {
                return false;
            }
        }
        return true;
    }

    private static boolean isPlainOrDepthwise(ConvolutionLayer convolution) {
        return convolution.getClass() == ConvolutionLayer.class
                || convolution.getClass() == DepthwiseConvolution2D.class;
    }

    /** The convolution -> batch normalization (-> activation) chain starting at {@code name}, or null. */
    private static Fold foldStartingAt(String name, Map<String, GraphVertex> vertices, Map<String, List<String>> inputs,
            Map<String, List<String>> consumers, List<String> outputs) {
        if (!(layerOf(vertices.get(name)) instanceof ConvolutionLayer convolution) || !isPlainOrDepthwise(convolution)
                || !(convolution.getActivationFn() instanceof ActivationIdentity)) {
            return null;
        }
        String batchNorm = onlyConsumer(name, consumers, outputs);
        if (batchNorm == null || !(layerOf(vertices.get(batchNorm)) instanceof BatchNormalization)
                || inputs.get(batchNorm).size() != 1) {
            return null;
        }
        String activation = onlyConsumer(batchNorm, consumers, outputs);
        if (activation != null && !(layerOf(vertices.get(activation)) instanceof ActivationLayer
                && inputs.get(activation).size() == 1)) {
            activation = null;
        }
        return new Fold(name, batchNorm, activation);
    }

    /** The single vertex that reads {@code name}, or null if there are several, none, or it is a graph output. */
    private static String onlyConsumer(String name, Map<String, List<String>> consumers, List<String> outputs) {
        List<String> readers = consumers.getOrDefault(name, List.of());
        return readers.size() == 1 && !outputs.contains(name) ? readers.get(0) : null;
    }

    private static org.deeplearning4j.nn.conf.layers.Layer layerOf(GraphVertex vertex) {
        return vertex instanceof LayerVertex layerVertex && layerVertex.getLayerConf() != null
                ? layerVertex.getLayerConf().getLayer() : null;
    }

    /** For each vertex, the vertices that read it, from each vertex's inputs. */
    static Map<String, List<String>> consumersOf(Map<String, List<String>> inputs) {
        Map<String, List<String>> consumers = new HashMap<>();
        inputs.forEach((vertex, sources) -> {
            for (String source : sources) {
                consumers.computeIfAbsent(source, s -> new ArrayList<>()).add(vertex);
            }
        });
        return consumers;
    }

    /**
     * Builds the graph of {@code conf} and fills its parameters from {@code graph}: folded where asked, with dense
     * rows reordered and renamed layers mapped back where the channels-last rewrite (may be null) says so.
     */
    private static ComputationGraph copyOf(ComputationGraph graph, ComputationGraphConfiguration conf,
            List<Fold> folds, ChannelsLast.Rewrite channelsLast) {
        ComputationGraph folded = new ComputationGraph(conf);
        folded.init();
        Map<String, Fold> foldByOutput = new HashMap<>();
        for (Fold fold : folds) {
            foldByOutput.put(fold.output(), fold);
        }
        Map<String, String> renamed = channelsLast == null ? Map.of() : channelsLast.renamed();
        Map<String, long[]> denseRowOrder = channelsLast == null ? Map.of() : channelsLast.denseRowOrder();
        for (Layer layer : folded.getLayers()) {
            String newName = layer.conf().getLayer().getLayerName();
            String name = renamed.getOrDefault(newName, newName);
            Fold fold = foldByOutput.get(name);
            if (fold != null) {
                foldInto(layer, graph.getLayer(fold.convolution()), graph.getLayer(fold.batchNorm()));
                continue;
            }
            Layer source = graph.getLayer(name);
            if (source == null) {
                throw new CnnkitException("cannot fold this graph: its layer " + name + " has no counterpart to copy "
                        + "parameters from (wrapped or renamed layers are not supported)");
            }
            for (Map.Entry<String, INDArray> param : layer.paramTable().entrySet()) {
                INDArray value = source.getParam(param.getKey());
                if ("W".equals(param.getKey()) && denseRowOrder.containsKey(newName)) {
                    value = ChannelsLast.denseRowsChannelsLast(value, denseRowOrder.get(newName));
                }
                param.getValue().assign(value);
            }
        }
        return NativeRuntime.accelerate(folded);
    }

    /** Writes the folded weights and bias of {@code convolution} followed by {@code batchNorm} into {@code target}. */
    private static void foldInto(Layer target, Layer convolution, Layer batchNorm) {
        BatchNormalization bn = (BatchNormalization) batchNorm.conf().getLayer();
        long channels = bn.getNOut();
        INDArray gamma;
        INDArray beta;
        if (bn.isLockGammaBeta()) {
            gamma = Nd4j.valueArrayOf(new long[] {channels}, bn.getGamma(), DataType.DOUBLE);
            beta = Nd4j.valueArrayOf(new long[] {channels}, bn.getBeta(), DataType.DOUBLE);
        } else {
            gamma = batchNorm.getParam("gamma").castTo(DataType.DOUBLE).reshape(channels);
            beta = batchNorm.getParam("beta").castTo(DataType.DOUBLE).reshape(channels);
        }
        INDArray mean = batchNorm.getParam("mean").castTo(DataType.DOUBLE).reshape(channels);
        INDArray variance = bn.isUseLogStd()
                ? Transforms.pow(Nd4j.valueArrayOf(new long[] {channels}, 10.0, DataType.DOUBLE),
                        batchNorm.getParam("log10stdev").castTo(DataType.DOUBLE).reshape(channels).mul(2), false)
                : batchNorm.getParam("var").castTo(DataType.DOUBLE).reshape(channels);
        INDArray scale = gamma.div(Transforms.sqrt(variance.add(bn.getEps()), false));
        INDArray shift = beta.sub(mean.mul(scale));

        INDArray weights = convolution.getParam("W").castTo(DataType.DOUBLE);
        INDArray bias = ((ConvolutionLayer) convolution.conf().getLayer()).hasBias()
                ? convolution.getParam("b").castTo(DataType.DOUBLE).reshape(channels)
                : Nd4j.zeros(DataType.DOUBLE, channels);
        INDArray scaledWeights;
        if (convolution.conf().getLayer() instanceof DepthwiseConvolution2D) {
            // [kH, kW, nIn, multiplier]: output channel c = in * multiplier + m is the flattened last two dimensions.
            long[] shape = weights.shape();
            scaledWeights = weights.reshape(shape[0] * shape[1], channels).mulRowVector(scale).reshape(shape);
        } else {
            // [nOut, nIn, kH, kW]: output channel first.
            long[] shape = weights.shape();
            scaledWeights = weights.reshape(channels, weights.length() / channels).mulColumnVector(scale.reshape(
                    channels, 1)).reshape(shape);
        }
        target.getParam("W").assign(scaledWeights.castTo(target.getParam("W").dataType()));
        INDArray targetBias = target.getParam("b");
        targetBias.assign(bias.mul(scale).add(shift).reshape(targetBias.shape()).castTo(targetBias.dataType()));
    }

    /** One chain to fold; {@code activation} may be null. */
    private record Fold(String convolution, String batchNorm, String activation) {
        String output() {
            return activation != null ? activation : batchNorm;
        }
    }
}
