package org.cnnkit.zoo.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import onnx.Onnx;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.zoo.InferenceFolding;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.runtime.FrozenWrappers;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU6;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.protobuf.ByteString;
import org.nd4j.shade.protobuf.UnsafeByteOperations;

/**
 * Translates a DL4J {@link ComputationGraph} into an ONNX graph, vertex by vertex in topological order, for one NCHW
 * float input of a given image shape and any batch size.
 *
 * <p>Every image tensor of the ONNX graph is NCHW, whatever layout the DL4J layers use: a graph that runs its layers
 * channels-last (cnnkit's {@code ChannelsLast} rewrite, VGG16's {@code optChannelsLast}) computes the same function,
 * so its layout permutes become identities and a channels-last flatten becomes a transpose to NHWC and a flatten.
 * The DL4J layout of each value is tracked to check that every layer reads the layout it was configured for.
 *
 * <p>Covered (as {@code InferencePlanCompiler} covers them): convolutions (Same or Truncate mode), depthwise
 * convolutions, max pooling, global average/max pooling, zero padding, batch normalization (variance or DL4J's
 * log10 standard deviation; like DL4J 1.0.0-M2.1, its configured activation is not applied), dense and output
 * layers, activation layers, the activations identity, ReLU, ReLU6, leaky ReLU, sigmoid, tanh and softmax,
 * element-wise add/subtract/product/max vertices, flatten preprocessors, and frozen wrappers of these. Anything else
 * is refused with a {@link CnnkitException} naming the vertex and its type.
 */
final class OnnxGraphConverter {

    /** The name of the ONNX graph's input. */
    static final String INPUT_NAME = "input";

    /** Simple class names of cnnkit's channels-last permutes (package-private in {@code org.cnnkit.zoo}). */

    private final ComputationGraph graph;
    private final ComputationGraphConfiguration conf;
    private final Onnx.GraphProto.Builder onnx = Onnx.GraphProto.newBuilder();
    private final Map<String, Value> values = new HashMap<>();
    /** Arrays whose memory the initializers wrap without a copy: kept alive until the model is written. */
    private final List<INDArray> keptAlive = new ArrayList<>();

    /**
     * A value of the ONNX graph: its tensor name, its logical shape without the batch ({@code [C, H, W]} for images,
     * {@code [F]} for vectors) and whether DL4J holds it channels-last.
     */
    private record Value(String name, long[] shape, boolean channelsLast) {
        boolean isImage() {
            return shape.length == 3;
        }
    }

    private OnnxGraphConverter(ComputationGraph graph) {
        this.graph = graph;
        this.conf = graph.getConfiguration();
    }

    /**
     * Converts a graph.
     *
     * @param graph an initialized graph with one input
     * @param inputShape the images it takes
     * @param graphName the ONNX graph's name
     * @return the converted graph and the arrays its initializers wrap (keep them until the model is written)
     * @throws CnnkitException naming the first vertex that cannot be exported, or a shape that does not fit
     */
    static Converted convert(ComputationGraph graph, InputShape inputShape, String graphName) {
        if (graph.getVertices() == null) {
            throw new CnnkitException("cannot export an uninitialized graph to ONNX: call init() first");
        }
        if (graph.getConfiguration().getNetworkInputs().size() != 1) {
            throw new CnnkitException("cannot export a graph with " + graph.getConfiguration().getNetworkInputs().size()
                    + " inputs to ONNX: cnnkit exports networks of one image input");
        }
        OnnxGraphConverter converter = new OnnxGraphConverter(graph);
        converter.run(inputShape, graphName);
        return new Converted(converter.onnx.build(), List.copyOf(converter.keptAlive));
    }

    /** The converted graph and the arrays its initializers wrap. */
    record Converted(Onnx.GraphProto graph, List<INDArray> keptAlive) {
    }

    private void run(InputShape inputShape, String graphName) {
        onnx.setName(graphName);
        String input = conf.getNetworkInputs().get(0);
        values.put(input, new Value(INPUT_NAME, inputShape.chw(), false));
        onnx.addInput(valueInfo(INPUT_NAME, inputShape.chw()));
        for (int index : graph.topologicalSortOrder()) {
            String name = graph.getVertices()[index].getVertexName();
            GraphVertex vertex = conf.getVertices().get(name);
            if (vertex == null) {
                continue; // the input
            }
            List<Value> inputs = conf.getVertexInputs().get(name).stream().map(values::get).toList();
            values.put(name, vertex(name, FrozenWrappers.unwrap(vertex), inputs));
        }
        for (String output : conf.getNetworkOutputs()) {
            Value value = values.get(output);
            if (value.channelsLast()) {
                throw new CnnkitException("cannot export output '" + output + "' to ONNX: DL4J returns it "
                        + "channels-last, the ONNX model would return it channels-first");
            }
            String name = value.name();
            if (!name.equals(output)) {
                node("Identity", List.of(name), output, output + "/identity");
            }
            onnx.addOutput(valueInfo(output, value.shape()));
        }
    }

    private Value vertex(String name, GraphVertex vertex, List<Value> inputs) {
        if (vertex instanceof PreprocessorVertex preprocessorVertex) {
            return preprocess("vertex '" + name + "'", name, preprocessorVertex.getPreProcessor(), inputs.get(0));
        }
        if (vertex instanceof ElementWiseVertex elementWise) {
            return elementWise(name, elementWise, inputs);
        }
        if (!(vertex instanceof LayerVertex layerVertex)) {
            throw new CnnkitException("cannot export vertex '" + name + "' (" + vertex.getClass().getSimpleName()
                    + ") to ONNX: this vertex type is not supported");
        }
        Layer layer = FrozenWrappers.unwrap(layerVertex.getLayerConf().getLayer());
        String where = "layer '" + name + "' (" + layer.getClass().getSimpleName() + ")";
        if (inputs.size() != 1) {
            throw new CnnkitException("cannot export " + where + " to ONNX: it has " + inputs.size() + " inputs");
        }
        Value x = inputs.get(0);
        if (layerVertex.getPreProcessor() != null) {
            x = preprocess(where, name + "/preprocess", layerVertex.getPreProcessor(), x);
        }
        return layer(where, name, layer, x);
    }

    private Value preprocess(String where, String output, InputPreProcessor preProcessor, Value x) {
        java.util.Optional<InferenceFolding.LayoutChange> change = InferenceFolding.layoutChangeOf(preProcessor);
        if (change.isPresent()) {
            requireImage(where, x);
            boolean toLast = change.get() == InferenceFolding.LayoutChange.TO_CHANNELS_LAST;
            if (x.channelsLast() == toLast) {
                throw new CnnkitException("cannot export " + where + " to ONNX: it permutes an image that is already "
                        + (toLast ? "channels-last" : "channels-first"));
            }
            return new Value(x.name(), x.shape(), toLast); // ONNX images stay NCHW
        }
        if (preProcessor instanceof CnnToFeedForwardPreProcessor flatten) {
            requireImage(where, x);
            boolean nhwc = flatten.getFormat() == CNN2DFormat.NHWC;
            if (nhwc != x.channelsLast()) {
                throw new CnnkitException("cannot export " + where + " to ONNX: it flattens " + flatten.getFormat()
                        + " images, its input is " + (x.channelsLast() ? "NHWC" : "NCHW"));
            }
            String source = x.name();
            if (nhwc) { // DL4J flattens (height, width, channel): so must the ONNX model
                source = node("Transpose", List.of(source), output + "/nhwc", output + "/nhwc",
                        ints("perm", 0, 2, 3, 1));
            }
            String flat = node("Flatten", List.of(source), output, output + "/flatten", ints1("axis", 1));
            return new Value(flat, new long[] {x.shape()[0] * x.shape()[1] * x.shape()[2]}, false);
        }
        throw new CnnkitException("cannot export " + where + " to ONNX: its preprocessor "
                + preProcessor.getClass().getSimpleName() + " is not supported");
    }

    private Value elementWise(String name, ElementWiseVertex vertex, List<Value> inputs) {
        String op = switch (vertex.getOp()) {
            case Add -> "Add";
            case Subtract -> "Sub";
            case Product -> "Mul";
            case Max -> "Max";
            default -> throw new CnnkitException("cannot export vertex '" + name + "' (ElementWiseVertex) to ONNX: "
                    + "element-wise " + vertex.getOp() + " is not supported");
        };
        for (Value input : inputs) {
            if (!Arrays.equals(input.shape(), inputs.get(0).shape())
                    || input.channelsLast() != inputs.get(0).channelsLast()) {
                throw new CnnkitException("cannot export vertex '" + name + "' (ElementWiseVertex) to ONNX: inputs of "
                        + "different shapes or layouts");
            }
        }
        if (inputs.size() == 1) {
            return new Value(node("Identity", List.of(inputs.get(0).name()), name, name), inputs.get(0).shape(),
                    inputs.get(0).channelsLast());
        }
        String current = inputs.get(0).name();
        for (int i = 1; i < inputs.size(); i++) {
            String out = i == inputs.size() - 1 ? name : name + "/" + i;
            current = node(op, List.of(current, inputs.get(i).name()), out, out);
        }
        return new Value(current, inputs.get(0).shape(), inputs.get(0).channelsLast());
    }

    private Value layer(String where, String name, Layer layer, Value x) {
        org.deeplearning4j.nn.api.Layer params = graph.getLayer(name);
        Class<?> type = layer.getClass();
        if (type == ConvolutionLayer.class || type == DepthwiseConvolution2D.class) {
            return convolution(where, name, (ConvolutionLayer) layer, params, x);
        }
        if (type == SubsamplingLayer.class) {
            return maxPooling(where, name, (SubsamplingLayer) layer, x);
        }
        if (type == GlobalPoolingLayer.class) {
            return globalPooling(where, name, (GlobalPoolingLayer) layer, x);
        }
        if (type == ZeroPaddingLayer.class) {
            ZeroPaddingLayer padding = (ZeroPaddingLayer) layer;
            requireImage(where, x);
            requireLayout(where, x, padding.getDataFormat());
            int[] p = padding.getPadding(); // top, bottom, left, right
            String pads = initializer(name + ".pads", Nd4j.createFromArray(new long[] {0, 0, p[0], p[2], 0, 0, p[1],
                p[3]}));
            String out = node("Pad", List.of(x.name(), pads), name, name);
            long[] s = x.shape();
            return new Value(out, new long[] {s[0], s[1] + p[0] + p[1], s[2] + p[2] + p[3]}, x.channelsLast());
        }
        if (type == BatchNormalization.class) {
            return batchNormalization(where, name, (BatchNormalization) layer, params, x);
        }
        if (type == DenseLayer.class || type == OutputLayer.class) {
            if (layer instanceof DenseLayer dense && dense.hasLayerNorm()) {
                throw new CnnkitException("cannot export " + where + " to ONNX: layer normalization is not supported");
            }
            return dense(where, name, (BaseLayer) layer, params, x);
        }
        if (type == ActivationLayer.class) {
            ActivationLayer activation = (ActivationLayer) layer;
            String out = activation(where, name, activation.getActivationFn(), x, name);
            if (out.equals(x.name())) {
                out = node("Identity", List.of(x.name()), name, name);
            }
            return new Value(out, x.shape(), x.channelsLast());
        }
        throw new CnnkitException("cannot export " + where + " to ONNX: this layer type is not supported");
    }

    private Value convolution(String where, String name, ConvolutionLayer conv, org.deeplearning4j.nn.api.Layer params,
            Value x) {
        requireImage(where, x);
        requireLayout(where, x, conv.getCnn2dDataFormat());
        requireMode(where, conv.getConvolutionMode());
        boolean depthwise = conv instanceof DepthwiseConvolution2D;
        INDArray w = params.getParam("W");
        long inChannels = x.shape()[0];
        INDArray weights;
        long outChannels;
        if (depthwise) { // [kH, kW, in, multiplier] -> [in * multiplier, 1, kH, kW], out channel = in * m + j
            if (w.size(2) != inChannels) {
                throw channels(where, w.size(2), x);
            }
            outChannels = w.size(2) * w.size(3);
            weights = w.permute(2, 3, 0, 1).dup('c').reshape('c', outChannels, 1, w.size(0), w.size(1));
        } else { // [out, in, kH, kW], as ONNX
            if (w.size(1) != inChannels) {
                throw channels(where, w.size(1), x);
            }
            outChannels = w.size(0);
            weights = w;
        }
        int[] k = conv.getKernelSize();
        int[] s = conv.getStride();
        int[] d = conv.getDilation();
        long[] pads = new long[4];
        long[] out = new long[2];
        for (int axis = 0; axis < 2; axis++) {
            long in = x.shape()[axis + 1];
            long[] geometry = geometry(where, in, k[axis], s[axis], d[axis], conv.getPadding()[axis],
                    conv.getConvolutionMode());
            pads[axis] = geometry[0];
            pads[axis + 2] = geometry[1];
            out[axis] = geometry[2];
        }
        List<String> inputs = new ArrayList<>(List.of(x.name(), initializer(name + ".W", weights)));
        if (conv.hasBias()) {
            inputs.add(initializer(name + ".b", vector(params.getParam("b"))));
        }
        String convolved = node("Conv", inputs, name + "/conv", name + "/conv",
                ints("kernel_shape", k[0], k[1]), ints("strides", s[0], s[1]), ints("dilations", d[0], d[1]),
                ints("pads", pads), ints1("group", depthwise ? inChannels : 1));
        Value value = new Value(convolved, new long[] {outChannels, out[0], out[1]}, x.channelsLast());
        return new Value(activation(where, name, conv.getActivationFn(), value, name), value.shape(),
                x.channelsLast());
    }

    private Value maxPooling(String where, String name, SubsamplingLayer pool, Value x) {
        requireImage(where, x);
        requireLayout(where, x, pool.getCnn2dDataFormat());
        requireMode(where, pool.getConvolutionMode());
        if (pool.getPoolingType() != PoolingType.MAX) {
            throw new CnnkitException("cannot export " + where + " to ONNX: " + pool.getPoolingType()
                    + " pooling is not supported");
        }
        int[] k = pool.getKernelSize();
        int[] s = pool.getStride();
        int[] d = pool.getDilation();
        long[] pads = new long[4];
        long[] out = new long[2];
        for (int axis = 0; axis < 2; axis++) {
            long[] geometry = geometry(where, x.shape()[axis + 1], k[axis], s[axis], d[axis], pool.getPadding()[axis],
                    pool.getConvolutionMode());
            pads[axis] = geometry[0];
            pads[axis + 2] = geometry[1];
            out[axis] = geometry[2];
        }
        String pooled = node("MaxPool", List.of(x.name()), name, name, ints("kernel_shape", k[0], k[1]),
                ints("strides", s[0], s[1]), ints("dilations", d[0], d[1]), ints("pads", pads));
        return new Value(pooled, new long[] {x.shape()[0], out[0], out[1]}, x.channelsLast());
    }

    private Value globalPooling(String where, String name, GlobalPoolingLayer pool, Value x) {
        requireImage(where, x);
        int[] dims = pool.getPoolingDimensions() == null ? new int[] {2, 3} : pool.getPoolingDimensions().clone();
        Arrays.sort(dims);
        int[] spatial = x.channelsLast() ? new int[] {1, 2} : new int[] {2, 3};
        if (!Arrays.equals(dims, spatial)) {
            throw new CnnkitException("cannot export " + where + " to ONNX: it pools dimensions "
                    + Arrays.toString(dims) + " of a " + (x.channelsLast() ? "NHWC" : "NCHW")
                    + " image, only height and width are supported");
        }
        String op = switch (pool.getPoolingType()) {
            case AVG -> "GlobalAveragePool";
            case MAX -> "GlobalMaxPool";
            default -> throw new CnnkitException("cannot export " + where + " to ONNX: global "
                    + pool.getPoolingType() + " pooling is not supported");
        };
        if (!pool.isCollapseDimensions()) {
            if (x.channelsLast()) {
                throw new CnnkitException("cannot export " + where + " to ONNX: an uncollapsed channels-last "
                        + "global pooling is not supported");
            }
            return new Value(node(op, List.of(x.name()), name, name), new long[] {x.shape()[0], 1, 1}, false);
        }
        String pooled = node(op, List.of(x.name()), name + "/pool", name + "/pool");
        return new Value(node("Flatten", List.of(pooled), name, name + "/flatten", ints1("axis", 1)),
                new long[] {x.shape()[0]}, false);
    }

    private Value batchNormalization(String where, String name, BatchNormalization norm,
            org.deeplearning4j.nn.api.Layer params, Value x) {
        INDArray mean = params.getParam("mean");
        if (mean == null || (params.getParam("var") == null && params.getParam("log10stdev") == null)
                || (!norm.isLockGammaBeta() && params.getParam("gamma") == null)) {
            throw new CnnkitException("cannot export " + where + " to ONNX: batch normalization without the "
                    + "parameters mean, var or log10stdev, gamma and beta is not supported");
        }
        long channels = mean.length();
        if (x.isImage()) {
            requireLayout(where, x, norm.getCnn2DFormat());
        }
        if (x.shape()[0] != channels) {
            throw channels(where, channels, x);
        }
        INDArray variance = params.getParam("var") != null ? vector(params.getParam("var"))
                : pow10(vector(params.getParam("log10stdev")).castTo(DataType.DOUBLE).mul(2.0));
        INDArray gamma = norm.isLockGammaBeta() ? Nd4j.valueArrayOf(new long[] {channels}, norm.getGamma(),
                DataType.FLOAT) : vector(params.getParam("gamma"));
        INDArray beta = norm.isLockGammaBeta() ? Nd4j.valueArrayOf(new long[] {channels}, norm.getBeta(),
                DataType.FLOAT) : vector(params.getParam("beta"));
        String out = node("BatchNormalization", List.of(x.name(), initializer(name + ".gamma", gamma),
                initializer(name + ".beta", beta), initializer(name + ".mean", vector(mean)),
                initializer(name + ".var", variance)), name, name, floatAttribute("epsilon", norm.getEps()));
        return new Value(out, x.shape(), x.channelsLast()); // DL4J 1.0.0-M2.1 does not apply its activation
    }

    private static INDArray pow10(INDArray exponent) {
        double[] values = exponent.toDoubleVector();
        for (int i = 0; i < values.length; i++) {
            values[i] = Math.pow(10.0, values[i]);
        }
        return Nd4j.createFromArray(values);
    }

    private Value dense(String where, String name, BaseLayer dense, org.deeplearning4j.nn.api.Layer params, Value x) {
        if (x.isImage()) {
            throw new CnnkitException("cannot export " + where + " to ONNX: it reads an image of shape "
                    + Arrays.toString(x.shape()) + " without a flatten preprocessor");
        }
        INDArray w = params.getParam("W"); // [nIn, nOut]
        if (w.size(0) != x.shape()[0]) {
            throw new CnnkitException("cannot export " + where + " to ONNX: it expects " + w.size(0)
                    + " inputs per example, its input has " + x.shape()[0]);
        }
        // DL4J keeps dense weights column-major: their transpose [nOut, nIn] is row-major as it is, no copy needed
        INDArray transposed = w.transpose();
        boolean useTransposed = isContiguousRowMajor(transposed) && !isContiguousRowMajor(w);
        List<String> inputs = new ArrayList<>(List.of(x.name(), initializer(name + ".W", useTransposed ? transposed
                : w)));
        if (params.getParam("b") != null) {
            inputs.add(initializer(name + ".b", vector(params.getParam("b"))));
        }
        Value value = new Value(node("Gemm", inputs, name + "/gemm", name + "/gemm", ints1("transB",
                useTransposed ? 1 : 0)), new long[] {w.size(1)}, false);
        return new Value(activation(where, name, dense.getActivationFn(), value, name), value.shape(), false);
    }

    /**
     * Adds the node of an activation and returns its output name ({@code output}), or the input's name for the
     * identity.
     */
    private String activation(String where, String name, IActivation activation, Value x, String output) {
        Class<?> type = activation == null ? ActivationIdentity.class : activation.getClass();
        String node = name + "/activation";
        if (type == ActivationIdentity.class) {
            return x.name();
        }
        if (type == ActivationReLU.class) {
            ActivationReLU relu = (ActivationReLU) activation;
            if (!isZeroOrUnset(relu.getThreshold()) || !isZeroOrUnset(relu.getNegativeSlope())
                    || relu.getMax() != null) {
                throw new CnnkitException("cannot export " + where + " to ONNX: ReLU with a threshold, slope or "
                        + "maximum is not supported");
            }
            return node("Relu", List.of(x.name()), output, node);
        }
        if (type == ActivationReLU6.class) {
            return node("Clip", List.of(x.name(), initializer(name + ".min", Nd4j.scalar(0f)),
                    initializer(name + ".max", Nd4j.scalar(6f))), output, node);
        }
        if (type == ActivationLReLU.class) {
            return node("LeakyRelu", List.of(x.name()), output, node,
                    floatAttribute("alpha", ((ActivationLReLU) activation).getAlpha()));
        }
        if (type == ActivationSigmoid.class) {
            return node("Sigmoid", List.of(x.name()), output, node);
        }
        if (type == ActivationTanH.class) {
            return node("Tanh", List.of(x.name()), output, node);
        }
        if (type == ActivationSoftmax.class) {
            if (x.isImage()) {
                throw new CnnkitException("cannot export " + where + " to ONNX: softmax over an image is not "
                        + "supported");
            }
            return node("Softmax", List.of(x.name()), output, node, ints1("axis", 1));
        }
        throw new CnnkitException("cannot export " + where + " to ONNX: activation " + activation
                + " is not supported");
    }

    /**
     * Padding before, after and the output size of one spatial axis of a convolution or pooling, as DL4J computes
     * them: Truncate pads {@code padding} on both sides and rounds down; Same outputs {@code ceil(in / stride)} and
     * pads the total needed, half before (rounded down) and the rest after, as TensorFlow does.
     */
    private static long[] geometry(String where, long in, int kernel, int stride, int dilation, int padding,
            ConvolutionMode mode) {
        long effective = (long) (kernel - 1) * dilation + 1;
        if (mode == ConvolutionMode.Same) {
            long out = (in + stride - 1) / stride;
            long total = Math.max((out - 1) * stride + effective - in, 0);
            return new long[] {total / 2, total - total / 2, out};
        }
        long out = (in + 2L * padding - effective) / stride + 1;
        if (in + 2L * padding < effective) {
            throw new CnnkitException("cannot export " + where + " to ONNX: its input of size " + in
                    + " is smaller than its kernel");
        }
        return new long[] {padding, padding, out};
    }

    private static void requireMode(String where, ConvolutionMode mode) {
        if (mode != ConvolutionMode.Same && mode != ConvolutionMode.Truncate) {
            throw new CnnkitException("cannot export " + where + " to ONNX: " + mode + " mode is not supported");
        }
    }

    private static void requireImage(String where, Value x) {
        if (!x.isImage()) {
            throw new CnnkitException("cannot export " + where + " to ONNX: it expects an image, its input has shape "
                    + Arrays.toString(x.shape()));
        }
    }

    private static void requireLayout(String where, Value x, CNN2DFormat format) {
        boolean nhwc = format == CNN2DFormat.NHWC;
        if (nhwc != x.channelsLast()) {
            throw new CnnkitException("cannot export " + where + " to ONNX: it is configured for " + format
                    + " images, its input is " + (x.channelsLast() ? "NHWC" : "NCHW"));
        }
    }

    private static CnnkitException channels(String where, long expected, Value x) {
        return new CnnkitException("cannot export " + where + " to ONNX: it expects " + expected
                + " channels, its input has shape " + Arrays.toString(x.shape()));
    }

    private static boolean isZeroOrUnset(Double value) {
        return value == null || value == 0.0;
    }

    /** Adds a node and returns its (only) output's name. */
    private String node(String op, List<String> inputs, String output, String nodeName,
            Onnx.AttributeProto... attributes) {
        Onnx.NodeProto.Builder node = Onnx.NodeProto.newBuilder().setOpType(op).setName(nodeName)
                .addAllInput(inputs).addOutput(output);
        for (Onnx.AttributeProto attribute : attributes) {
            node.addAttribute(attribute);
        }
        onnx.addNode(node);
        return output;
    }

    /** Adds an initializer: the array as float32 (or int64 for long arrays), little-endian raw data. */
    private String initializer(String name, INDArray array) {
        boolean integer = array.dataType() == DataType.LONG;
        INDArray data = integer || array.dataType() == DataType.FLOAT ? array : array.castTo(DataType.FLOAT);
        if (!isContiguousRowMajor(data)) {
            data = data.dup('c');
        }
        keptAlive.add(data);
        Onnx.TensorProto.Builder tensor = Onnx.TensorProto.newBuilder().setName(name)
                .setDataType(integer ? Onnx.TensorProto.DataType.INT64.getNumber()
                        : Onnx.TensorProto.DataType.FLOAT.getNumber());
        for (long dimension : array.shape()) {
            tensor.addDims(dimension);
        }
        tensor.setRawData(rawBytes(data));
        onnx.addInitializer(tensor);
        return name;
    }

    /**
     * Whether an array's elements lie one after the other in row-major order in its buffer (a parameter is usually
     * such a view into the network's flat parameter vector), so that its bytes can be wrapped as they are.
     */
    private static boolean isContiguousRowMajor(INDArray array) {
        if (array.length() <= 1) {
            return !array.isView() || array.length() == 1;
        }
        long expected = 1;
        long[] shape = array.shape();
        long[] stride = array.stride();
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && stride[d] != expected) {
                return false;
            }
            expected *= shape[d];
        }
        return true;
    }

    /** The array's memory as bytes, little-endian: wrapped without a copy on little-endian machines. */
    private static ByteString rawBytes(INDArray data) {
        int width = data.dataType().width();
        long bytes = data.length() * width;
        long start = data.offset() * width;
        if (bytes > Integer.MAX_VALUE || start + bytes > Integer.MAX_VALUE) {
            throw new CnnkitException("cannot export a parameter of " + bytes + " bytes to ONNX: over 2 GB");
        }
        ByteBuffer buffer = data.data().asNio();
        buffer.limit((int) (start + bytes)).position((int) start);
        if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            return UnsafeByteOperations.unsafeWrap(buffer.slice());
        }
        ByteBuffer slice = buffer.slice();
        byte[] copy = new byte[(int) bytes];
        for (int i = 0; i < copy.length; i += width) {
            for (int b = 0; b < width; b++) {
                copy[i + b] = slice.get(i + width - 1 - b);
            }
        }
        return ByteString.copyFrom(copy);
    }

    private static INDArray vector(INDArray parameter) {
        return parameter.reshape(parameter.length());
    }

    private static Onnx.ValueInfoProto valueInfo(String name, long[] shape) {
        Onnx.TensorShapeProto.Builder dims = Onnx.TensorShapeProto.newBuilder()
                .addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimParam("batch"));
        for (long dimension : shape) {
            dims.addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(dimension));
        }
        return Onnx.ValueInfoProto.newBuilder().setName(name).setType(Onnx.TypeProto.newBuilder()
                .setTensorType(Onnx.TypeProto.Tensor.newBuilder()
                        .setElemType(Onnx.TensorProto.DataType.FLOAT.getNumber()).setShape(dims))).build();
    }

    private static Onnx.AttributeProto ints(String name, long... values) {
        Onnx.AttributeProto.Builder attribute = Onnx.AttributeProto.newBuilder().setName(name)
                .setType(Onnx.AttributeProto.AttributeType.INTS);
        for (long value : values) {
            attribute.addInts(value);
        }
        return attribute.build();
    }

    private static Onnx.AttributeProto ints(String name, int... values) {
        return ints(name, Arrays.stream(values).asLongStream().toArray());
    }

    private static Onnx.AttributeProto ints1(String name, long value) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.INT)
                .setI(value).build();
    }

    private static Onnx.AttributeProto floatAttribute(String name, double value) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.FLOAT)
                .setF((float) value).build();
    }
}
