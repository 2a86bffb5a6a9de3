package org.cnnkit.core.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.runtime.NativeOpStep.NativeCall;
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
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Compiles a DL4J {@link ComputationGraph}'s inference into an {@link InferencePlan} for one input shape: each layer
 * becomes the libnd4j operations DL4J's own layer runs (with cnnkit's fast paths: {@code conv2d} for convolutions),
 * in the graph's topological order, on arrays allocated once from {@link PlanBuffers}. The plan computes what
 * {@code graph.output(false, input)} computes; {@code InferencePlanTest} checks this network by network.
 *
 * <p>Supported: convolution (Same or Truncate mode, NCHW or NHWC), depthwise convolution, max pooling, global
 * average/max pooling, zero padding, batch normalization (running statistics, stored as variance or as DL4J's log10
 * standard deviation, as {@code InferenceFolding} reads them; gamma and beta learnt or locked; like DL4J 1.0.0-M2.1,
 * the activation configured on it is not applied), dense and output layers, activation layers, the activations of
 * {@link NativeActivation}, element-wise add/subtract/product/max vertices, preprocessors (run as DL4J runs them), and
 * frozen wrappers of these layers and vertices. {@link #unsupportedReason} names the first thing a graph has beyond
 * that; such graphs keep DL4J's forward pass.
 */
final class InferencePlanCompiler {

    private final ComputationGraph graph;
    private final ComputationGraphConfiguration conf;
    private final PlanBuffers buffers;
    private final List<PlanStep> steps = new ArrayList<>();

    private InferencePlanCompiler(ComputationGraph graph, PlanBuffers buffers) {
        this.graph = graph;
        this.conf = graph.getConfiguration();
        this.buffers = buffers;
    }

    /**
     * Tells why a graph cannot be compiled, if it cannot.
     *
     * @param graph an initialized graph
     * @return empty if every vertex is supported, otherwise the first unsupported vertex and why
     */
    static Optional<String> unsupportedReason(ComputationGraph graph) {
        ComputationGraphConfiguration conf = graph.getConfiguration();
        if (conf.getNetworkInputs().size() != 1) {
            return Optional.of("the graph has " + conf.getNetworkInputs().size() + " inputs");
        }
        for (Map.Entry<String, GraphVertex> entry : conf.getVertices().entrySet()) {
            String name = entry.getKey();
            GraphVertex vertex = FrozenWrappers.unwrap(entry.getValue());
            Optional<String> reason;
            if (vertex instanceof LayerVertex layerVertex) {
                reason = conf.getVertexInputs().get(name).size() == 1
                        ? layerReason(FrozenWrappers.unwrap(layerVertex.getLayerConf().getLayer()), graph, name)
                        : Optional.of("it has several inputs");
            } else if (vertex instanceof PreprocessorVertex) {
                reason = Optional.empty();
            } else if (vertex instanceof ElementWiseVertex elementWise) {
                reason = elementWiseOp(elementWise.getOp()) == null
                        ? Optional.of("element-wise " + elementWise.getOp() + " is not supported")
                        : Optional.empty();
            } else {
                reason = Optional.of(vertex.getClass().getSimpleName() + " is not supported");
            }
            if (reason.isPresent()) {
                return Optional.of("vertex '" + name + "': " + reason.get());
            }
        }
        return Optional.empty();
    }

    /**
     * Compiles a graph for one input shape.
     *
     * @param graph an initialized graph that {@link #unsupportedReason} accepts
     * @param inputShape the input's shape, batch first
     * @return the plan
     * @throws CnnkitException if the graph has an unsupported vertex, or the input shape does not fit a layer
     *     (naming the layer and the shapes)
     */
    static InferencePlan compile(ComputationGraph graph, long[] inputShape) {
        return compile(graph, inputShape, new PlanBuffers(dataType(graph)));
    }

    /**
     * Compiles a graph for one input shape on activation buffers shared with other plans that never run at the same
     * time as this one: every buffer of {@code buffers} is taken as free.
     *
     * @param graph an initialized graph that {@link #unsupportedReason} accepts
     * @param inputShape the input's shape, batch first
     * @param buffers the buffers, of the graph's data type ({@link #dataType})
     * @return the plan
     * @throws CnnkitException as {@link #compile(ComputationGraph, long[])}
     */
    static InferencePlan compile(ComputationGraph graph, long[] inputShape, PlanBuffers buffers) {
        unsupportedReason(graph).ifPresent(reason -> {
            throw new CnnkitException("cannot compile an inference plan: " + reason);
        });
        buffers.releaseAll();
        return new InferencePlanCompiler(graph, buffers).compile(inputShape.clone(), dataType(graph));
    }

    /** The data type a plan of {@code graph} computes in: its parameters' (float for a graph without any). */
    static DataType dataType(ComputationGraph graph) {
        return graph.params() == null || graph.params().isEmpty() ? DataType.FLOAT : graph.params().dataType();
    }

    private InferencePlan compile(long[] inputShape, DataType dataType) {
        INDArray input = Nd4j.create(dataType, inputShape);
        Map<String, INDArray> values = new HashMap<>();
        values.put(conf.getNetworkInputs().get(0), input);
        Map<String, Integer> lastReader = lastReaders();
        Set<String> outputs = new HashSet<>(conf.getNetworkOutputs());
        int[] order = graph.topologicalSortOrder();
        for (int position = 0; position < order.length; position++) {
            String name = graph.getVertices()[order[position]].getVertexName();
            GraphVertex vertex = conf.getVertices().get(name);
            if (vertex == null) {
                continue; // the input vertex
            }
            vertex = FrozenWrappers.unwrap(vertex);
            List<INDArray> inputs = conf.getVertexInputs().get(name).stream().map(values::get).toList();
            values.put(name, compileVertex(name, vertex, inputs));
            for (String read : conf.getVertexInputs().get(name)) {
                if (lastReader.get(read) == position && !outputs.contains(read)) {
                    buffers.release(values.get(read));
                }
            }
        }
        INDArray[] results = conf.getNetworkOutputs().stream().map(values::get).toArray(INDArray[]::new);
        return new InferencePlan(inputShape, input, steps, results, buffers.allocatedBytes());
    }

    /** For each vertex, the position (in topological order) of the last vertex that reads it. */
    private Map<String, Integer> lastReaders() {
        Map<String, Integer> last = new HashMap<>();
        int[] order = graph.topologicalSortOrder();
        for (int position = 0; position < order.length; position++) {
            String name = graph.getVertices()[order[position]].getVertexName();
            for (String read : conf.getVertexInputs().getOrDefault(name, List.of())) {
                last.put(read, position);
            }
        }
        return last;
    }

    private INDArray compileVertex(String name, GraphVertex vertex, List<INDArray> inputs) {
        if (vertex instanceof PreprocessorVertex preprocessorVertex) {
            return preprocess("vertex '" + name + "'", preprocessorVertex.getPreProcessor(), inputs.get(0));
        }
        if (vertex instanceof ElementWiseVertex elementWise) {
            return elementWise(name, elementWiseOp(elementWise.getOp()), inputs);
        }
        LayerVertex layerVertex = (LayerVertex) vertex;
        INDArray x = inputs.get(0);
        INDArray preprocessed = null;
        if (layerVertex.getPreProcessor() != null) {
            preprocessed = preprocess("layer '" + name + "'", layerVertex.getPreProcessor(), x);
            x = preprocessed;
        }
        INDArray output = layer(name, FrozenWrappers.unwrap(layerVertex.getLayerConf().getLayer()), x);
        if (preprocessed != null) {
            buffers.release(preprocessed);
        }
        return output;
    }

    private INDArray preprocess(String where, InputPreProcessor preProcessor, INDArray x) {
        INDArray output = buffers.take(PreProcessorStep.outputShape(where, preProcessor, x));
        steps.add(PreProcessorStep.bind(where, preProcessor, x, output));
        return output;
    }

    private INDArray elementWise(String name, String op, List<INDArray> inputs) {
        String where = "vertex '" + name + "' (" + op + ")";
        for (INDArray input : inputs) {
            if (!Arrays.equals(input.shape(), inputs.get(0).shape())) {
                throw new CnnkitException(where + ": inputs of different shapes "
                        + inputs.stream().map(a -> Arrays.toString(a.shape())).toList());
            }
        }
        if (inputs.size() == 1) { // DL4J passes a single input through
            return copy(where, inputs.get(0));
        }
        INDArray output = buffers.take(inputs.get(0).shape());
        addOp(where, NativeCall.of(op, new INDArray[] {inputs.get(0), inputs.get(1)}), output);
        for (int i = 2; i < inputs.size(); i++) {
            addOp(where, NativeCall.of(op, new INDArray[] {output, inputs.get(i)}), output);
        }
        return output;
    }

    private INDArray layer(String name, Layer layer, INDArray x) {
        String where = "layer '" + name + "' (" + layer.getClass().getSimpleName() + ")";
        org.deeplearning4j.nn.api.Layer params = graph.getLayer(name);
        LayerKind kind = LayerKind.of(layer)
                .orElseThrow(() -> new CnnkitException(where + " is not supported by inference plans"));
        switch (kind) {
            case DEPTHWISE_CONVOLUTION: {
                DepthwiseConvolution2D conv = (DepthwiseConvolution2D) layer;
                INDArray weights = params.getParam("W"); // [kH, kW, inChannels, multiplier]
                requireChannels(where, x, conv.getCnn2dDataFormat(), weights.size(2));
                return activate(where, conv.getActivationFn(), convolution(where, "depthwise_conv2d", conv, x,
                        weights, conv.hasBias() ? params.getParam("b") : null, 0));
            }
            case CONVOLUTION: {
                ConvolutionLayer conv = (ConvolutionLayer) layer;
                INDArray weights = params.getParam("W"); // [outChannels, inChannels, kH, kW]
                requireChannels(where, x, conv.getCnn2dDataFormat(), weights.size(1));
                return activate(where, conv.getActivationFn(), convolution(where, "conv2d", conv, x, weights,
                        conv.hasBias() ? params.getParam("b") : null, 1));
            }
            case MAX_POOLING: {
                SubsamplingLayer pool = (SubsamplingLayer) layer;
                requireRank(where, x, 4);
                int[] k = pool.getKernelSize();
                int[] s = pool.getStride();
                int[] p = pool.getPadding();
                int[] d = pool.getDilation();
                boolean same = pool.getConvolutionMode() == ConvolutionMode.Same;
                return addOp(where, NativeCall.of("maxpool2d", new INDArray[] {x}, k[0], k[1], s[0], s[1],
                        same ? 0 : p[0], same ? 0 : p[1], d[0], d[1], same ? 1 : 0, 0,
                        pool.getCnn2dDataFormat() == CNN2DFormat.NHWC ? 1 : 0));
            }
            case GLOBAL_POOLING: {
                GlobalPoolingLayer pool = (GlobalPoolingLayer) layer;
                requireRank(where, x, 4);
                int[] dims = pool.getPoolingDimensions() == null ? new int[] {2, 3} : pool.getPoolingDimensions();
                String op = pool.getPoolingType() == PoolingType.AVG ? "reduce_mean" : "reduce_max";
                return addOp(where, new NativeCall(op, new INDArray[] {x},
                        Arrays.stream(dims).asLongStream().toArray(), new double[0],
                        new boolean[] {!pool.isCollapseDimensions()}));
            }
            case ZERO_PADDING: {
                ZeroPaddingLayer padding = (ZeroPaddingLayer) layer;
                requireRank(where, x, 4);
                int[] p = padding.getPadding(); // top, bottom, left, right
                int[][] perDimension = padding.getDataFormat() == CNN2DFormat.NHWC
                        ? new int[][] {{0, 0}, {p[0], p[1]}, {p[2], p[3]}, {0, 0}}
                        : new int[][] {{0, 0}, {0, 0}, {p[0], p[1]}, {p[2], p[3]}};
                return addOp(where, new NativeCall("pad", new INDArray[] {x, Nd4j.createFromArray(perDimension)},
                        new long[] {0}, new double[] {0.0}, new boolean[0]));
            }
            case BATCH_NORMALIZATION:
                return batchNormalization(where, (BatchNormalization) layer, params, x);
            case DENSE:
            case OUTPUT:
                return dense(where, (BaseLayer) layer, params, x);
            case ACTIVATION: {
                NativeActivation op = NativeActivation.of(((ActivationLayer) layer).getActivationFn()).orElseThrow();
                return op.isIdentity() ? copy(where, x) : addOp(where, op.call(x));
            }
            default:
                throw new IllegalStateException("unhandled layer kind " + kind);
        }
    }

    private INDArray batchNormalization(String where, BatchNormalization norm, org.deeplearning4j.nn.api.Layer params,
            INDArray x) {
        long channels = params.getParam("mean").length();
        int axis = x.rank() == 4 && norm.getCnn2DFormat() == CNN2DFormat.NHWC ? 3 : 1;
        if (x.size(axis) != channels) {
            throw new CnnkitException(where + " expects " + channels + " channels in dimension " + axis
                    + ", got an input of shape " + Arrays.toString(x.shape()));
        }
        DataType type = x.dataType();
        INDArray gamma = norm.isLockGammaBeta() ? Nd4j.valueArrayOf(new long[] {channels}, norm.getGamma(), type)
                : vector(params.getParam("gamma"));
        INDArray beta = norm.isLockGammaBeta() ? Nd4j.valueArrayOf(new long[] {channels}, norm.getBeta(), type)
                : vector(params.getParam("beta"));
        return addOp(where, new NativeCall("batchnorm", new INDArray[] {x, vector(params.getParam("mean")),
                variance(where, params), gamma, beta},
                new long[] {1, 1, axis}, new double[] {norm.getEps()}, new boolean[0]));
    }

    private INDArray dense(String where, BaseLayer dense, org.deeplearning4j.nn.api.Layer params, INDArray x) {
        INDArray weights = params.getParam("W"); // [nIn, nOut]
        requireRank(where, x, 2);
        if (x.size(1) != weights.size(0)) {
            throw new CnnkitException(where + " expects " + weights.size(0) + " inputs per example, got an input "
                    + "of shape " + Arrays.toString(x.shape()));
        }
        INDArray output = addOp(where, NativeCall.of("matmul", new INDArray[] {x, weights}));
        if (params.getParam("b") != null) {
            addOp(where, NativeCall.of("add", new INDArray[] {output, vector(params.getParam("b"))}), output);
        }
        return activate(where, dense.getActivationFn(), output);
    }

    /**
     * A batch normalization's variance: its {@code var} parameter, or, when it stores {@code log10stdev} (DL4J's
     * default), an array that two steps fill with 10^(2 log10stdev) before each use, so that in-place changes to the
     * parameter are seen.
     */
    private INDArray variance(String where, org.deeplearning4j.nn.api.Layer params) {
        if (params.getParam("var") != null) {
            return vector(params.getParam("var"));
        }
        INDArray log10Std = vector(params.getParam("log10stdev"));
        INDArray exponent = Nd4j.create(log10Std.dataType(), log10Std.length());
        INDArray variance = Nd4j.create(log10Std.dataType(), log10Std.length());
        addOp(where, NativeCall.of("multiply", new INDArray[] {log10Std, Nd4j.scalar(log10Std.dataType(), 2.0)}),
                exponent);
        addOp(where, NativeCall.of("Pow", new INDArray[] {Nd4j.scalar(log10Std.dataType(), 10.0), exponent}),
                variance);
        return variance;
    }

    private INDArray convolution(String where, String op, ConvolutionLayer conv, INDArray x, INDArray weights,
            INDArray bias, int weightsFormat) {
        int[] k = conv.getKernelSize();
        int[] s = conv.getStride();
        int[] p = conv.getPadding();
        int[] d = conv.getDilation();
        boolean same = conv.getConvolutionMode() == ConvolutionMode.Same;
        INDArray[] inputs = bias == null ? new INDArray[] {x, weights} : new INDArray[] {x, weights, vector(bias)};
        return addOp(where, NativeCall.of(op, inputs, k[0], k[1], s[0], s[1], same ? 0 : p[0], same ? 0 : p[1],
                d[0], d[1], same ? 1 : 0, conv.getCnn2dDataFormat() == CNN2DFormat.NHWC ? 1 : 0, weightsFormat));
    }

    /** Applies an activation in place on a layer's output array. */
    private INDArray activate(String where, org.nd4j.linalg.activations.IActivation activation, INDArray output) {
        NativeActivation op = NativeActivation.of(activation).orElseThrow();
        if (!op.isIdentity()) {
            steps.add(NativeOpStep.bind(where, op.call(output), output));
        }
        return output;
    }

    /**
     * A copy (an identity activation layer, an element-wise vertex with one input), so that every vertex has its own
     * array.
     */
    private INDArray copy(String where, INDArray x) {
        return addOp(where, NativeCall.of("identity", new INDArray[] {x}));
    }

    /** Adds an operation writing a new array of the shape libnd4j computes for it. */
    private INDArray addOp(String where, NativeCall call) {
        INDArray output = buffers.take(NativeOpStep.outputShape(where, call));
        steps.add(NativeOpStep.bind(where, call, output));
        return output;
    }

    private void addOp(String where, NativeCall call, INDArray output) {
        steps.add(NativeOpStep.bind(where, call, output));
    }

    private static void requireRank(String where, INDArray x, int rank) {
        if (x.rank() != rank) {
            throw new CnnkitException(where + " expects an input of rank " + rank + ", got shape "
                    + Arrays.toString(x.shape()));
        }
    }

    private static void requireChannels(String where, INDArray x, CNN2DFormat format, long channels) {
        requireRank(where, x, 4);
        long got = format == CNN2DFormat.NHWC ? x.size(3) : x.size(1);
        if (got != channels) {
            throw new CnnkitException(where + " expects " + channels + " input channels (" + format + "), got an "
                    + "input of shape " + Arrays.toString(x.shape()));
        }
    }

    /** A parameter row vector such as a bias [1, n] as the rank-1 view [n] that the operations take. */
    private static INDArray vector(INDArray parameter) {
        return parameter.reshape(parameter.length());
    }

    private static String elementWiseOp(ElementWiseVertex.Op op) {
        return switch (op) {
            case Add -> "add";
            case Subtract -> "subtract";
            case Product -> "multiply";
            case Max -> "maximum";
            default -> null;
        };
    }

    /** Why a layer (already unwrapped) cannot be compiled, if it cannot. */
    private static Optional<String> layerReason(Layer layer, ComputationGraph graph, String name) {
        String what = layer.getClass().getSimpleName();
        Optional<LayerKind> kind = LayerKind.of(layer);
        if (kind.isEmpty()) {
            return Optional.of(what + " is not supported");
        }
        switch (kind.get()) {
            case CONVOLUTION:
            case DEPTHWISE_CONVOLUTION: {
                ConvolutionLayer conv = (ConvolutionLayer) layer;
                if (conv.getConvolutionMode() != ConvolutionMode.Same
                        && conv.getConvolutionMode() != ConvolutionMode.Truncate) {
                    return Optional.of(what + " in " + conv.getConvolutionMode() + " mode is not supported");
                }
                return activationReason(what, conv.getActivationFn());
            }
            case MAX_POOLING: {
                SubsamplingLayer pool = (SubsamplingLayer) layer;
                if (pool.getPoolingType() != PoolingType.MAX) {
                    return Optional.of(pool.getPoolingType() + " pooling is not supported");
                }
                if (pool.getConvolutionMode() != ConvolutionMode.Same
                        && pool.getConvolutionMode() != ConvolutionMode.Truncate) {
                    return Optional.of("pooling in " + pool.getConvolutionMode() + " mode is not supported");
                }
                return Optional.empty();
            }
            case GLOBAL_POOLING: {
                PoolingType pooling = ((GlobalPoolingLayer) layer).getPoolingType();
                return pooling == PoolingType.AVG || pooling == PoolingType.MAX ? Optional.empty()
                        : Optional.of("global " + pooling + " pooling is not supported");
            }
            case ZERO_PADDING:
                return Optional.empty();
            case BATCH_NORMALIZATION: {
                org.deeplearning4j.nn.api.Layer params = graph.getLayer(name);
                if (params.getParam("mean") == null
                        || (params.getParam("var") == null && params.getParam("log10stdev") == null)
                        || (!((BatchNormalization) layer).isLockGammaBeta() && params.getParam("gamma") == null)) {
                    return Optional.of("batch normalization without the parameters mean, var or log10stdev, gamma "
                            + "and beta is not supported");
                }
                return Optional.empty(); // DL4J 1.0.0-M2.1 does not apply a batch normalization's activation either
            }
            case DENSE:
                if (((DenseLayer) layer).hasLayerNorm()) {
                    return Optional.of("dense layers with layer normalization are not supported");
                }
                return activationReason(what, ((DenseLayer) layer).getActivationFn());
            case OUTPUT:
                return activationReason(what, ((OutputLayer) layer).getActivationFn());
            case ACTIVATION:
                return activationReason(what, ((ActivationLayer) layer).getActivationFn());
            default:
                throw new IllegalStateException("unhandled layer kind " + kind.get());
        }
    }

    private static Optional<String> activationReason(String what, org.nd4j.linalg.activations.IActivation activation) {
        return NativeActivation.of(activation).isPresent() ? Optional.empty()
                : Optional.of(what + " with activation " + activation + " is not supported");
    }

    /**
     * The layer types plans compile, one place for both {@link #unsupportedReason} and the compiler. Classes match
     * exactly: a subclass (separable or 1D convolution, 1D pooling...) computes something else.
     */
    private enum LayerKind {
        CONVOLUTION(ConvolutionLayer.class),
        DEPTHWISE_CONVOLUTION(DepthwiseConvolution2D.class),
        MAX_POOLING(SubsamplingLayer.class),
        GLOBAL_POOLING(GlobalPoolingLayer.class),
        ZERO_PADDING(ZeroPaddingLayer.class),
        BATCH_NORMALIZATION(BatchNormalization.class),
        DENSE(DenseLayer.class),
        OUTPUT(OutputLayer.class),
        ACTIVATION(ActivationLayer.class);

        private final Class<? extends Layer> type;

        LayerKind(Class<? extends Layer> type) {
            this.type = type;
        }

        static Optional<LayerKind> of(Layer layer) {
            for (LayerKind kind : values()) {
                if (kind.type == layer.getClass()) {
                    return Optional.of(kind);
                }
            }
            return Optional.empty();
        }
    }
}
