package org.cnnkit.core.training;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
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
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU6;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Turns a {@link ComputationGraph} into {@link TrainingStage}s, or says why it cannot.
 *
 * <p>Supported: a graph with one input and one output whose vertices are 2D convolutions (NCHW, {@code Truncate}
 * mode with or without padding, no dilation, with or without bias, ReLU or identity), depthwise convolutions (NCHW,
 * {@code Truncate}, no dilation, no bias, identity), max poolings (NCHW, {@code Truncate}, no padding or dilation),
 * batch normalizations in inference mode ({@link InferenceModeNormalization}), ReLU and ReLU6 activation layers,
 * global average poolings, dense layers (ReLU or identity) with at most DL4J's NCHW flatten before them, element-wise
 * additions of two vertices, and a softmax + multi-class cross-entropy output layer as the last vertex, in float32,
 * without dropout, weight noise or constraints. Anything else (and every graph while another detail differs) is left
 * to DL4J's own training.
 */
final class TrainingStepCompiler {

    /**
     * One vertex of the compiled graph: a stage with one input, or an addition of two inputs.
     *
     * @param stage the stage, or null for an addition
     * @param add the addition, or null for a stage
     * @param inputs the activations it reads: 0 is the network's input, {@code k + 1} the output of node {@code k}
     */
    record Node(TrainingStage stage, AddStage add, int[] inputs) {
    }

    /**
     * The compiled graph: its nodes in topological order, then the output layer.
     *
     * @param nodes the hidden vertices
     * @param output the output layer
     * @param outputInput the activation the output layer reads
     */
    record Compiled(List<Node> nodes, SoftmaxOutputStage output, int outputInput) {
    }

    private TrainingStepCompiler() {
    }

    /**
     * Compiles a graph.
     *
     * @param graph an initialized graph whose gradient view exists
     * @param gradientViews where each layer's stages write its parameter gradients
     * @param reasons receives why the graph is not supported
     * @return the stages, or empty with a reason added
     */
    static Optional<Compiled> compile(ComputationGraph graph, GradientViews gradientViews, List<String> reasons) {
        ComputationGraphConfiguration conf = graph.getConfiguration();
        if (conf.getNetworkInputs().size() != 1 || conf.getNetworkOutputs().size() != 1) {
            reasons.add("the graph has " + conf.getNetworkInputs().size() + " inputs and "
                    + conf.getNetworkOutputs().size() + " outputs, not one of each");
            return Optional.empty();
        }
        if (graph.params().dataType() != DataType.FLOAT) {
            reasons.add("the parameters are " + graph.params().dataType() + ", not FLOAT");
            return Optional.empty();
        }
        String networkInput = conf.getNetworkInputs().get(0);
        String networkOutput = conf.getNetworkOutputs().get(0);
        List<String> order = new ArrayList<>(conf.getTopologicalOrderStr());
        order.remove(networkInput);
        if (order.isEmpty() || !order.get(order.size() - 1).equals(networkOutput)) {
            reasons.add("the output '" + networkOutput + "' is not the graph's last vertex");
            return Optional.empty();
        }
        Map<String, Integer> index = new HashMap<>();
        index.put(networkInput, 0);
        Map<String, List<String>> consumers = new HashMap<>();
        conf.getVertexInputs().forEach((name, inputs) -> inputs.forEach(
                input -> consumers.computeIfAbsent(input, k -> new ArrayList<>()).add(name)));
        List<Node> nodes = new ArrayList<>();
        Set<String> fusedNormalizations = new HashSet<>();
        for (int k = 0; k < order.size(); k++) {
            String name = order.get(k);
            if (fusedNormalizations.contains(name)) {
                continue; // runs inside the convolution before it
            }
            String where = "vertex '" + name + "'";
            GraphVertex vertex = conf.getVertices().get(name);
            List<String> inputNames = conf.getVertexInputs().get(name);
            int[] inputs = inputNames.stream().mapToInt(input -> index.getOrDefault(input, -1)).toArray();
            if (vertex instanceof ElementWiseVertex sum) {
                if (sum.getOp() != ElementWiseVertex.Op.Add || inputs.length != 2) {
                    reasons.add(where + ": only element-wise additions of two vertices are compiled");
                    return Optional.empty();
                }
                nodes.add(new Node(null, new AddStage(), inputs));
                index.put(name, nodes.size());
                continue;
            }
            if (!(vertex instanceof LayerVertex layerVertex) || inputs.length != 1) {
                reasons.add(where + " (" + vertex.getClass().getSimpleName() + ") is not a layer with one input");
                return Optional.empty();
            }
            Layer layer = layerVertex.getLayerConf().getLayer();
            boolean first = inputs[0] == 0;
            String problem = commonProblem(layer, layerVertex.getPreProcessor(), first);
            if (problem != null) {
                reasons.add(where + ": " + problem);
                return Optional.empty();
            }
            if (k == order.size() - 1) {
                if (!(layer instanceof OutputLayer out) || !(out.getActivationFn() instanceof ActivationSoftmax)
                        || !(out.getLossFn() instanceof LossMCXENT mcxent) || mcxent.getWeights() != null
                        || !out.hasBias()) {
                    reasons.add(where + " is not a softmax output layer with unweighted MCXENT loss and a bias");
                    return Optional.empty();
                }
                Map<String, INDArray> params = graph.getLayer(name).paramTable();
                Map<String, INDArray> gradients = gradientViews.of(name);
                SoftmaxOutputStage output = new SoftmaxOutputStage(new DenseStage(where, params.get("W"),
                        params.get("b"), gradients.get("W"), vector(gradients.get("b")), false, first));
                return Optional.of(new Compiled(nodes, output, inputs[0]));
            }
            List<String> readers = consumers.getOrDefault(name, List.of());
            String normalization = fusableNormalization(conf, layer, readers);
            if (normalization != null) {
                nodes.add(new Node(normalizedConvolution(graph, gradientViews, name, where, layer, normalization,
                        first), null, inputs));
                index.put(name, nodes.size());
                index.put(normalization, nodes.size());
                fusedNormalizations.add(normalization);
                continue;
            }
            boolean deferRelu = readers.size() == 1 && isPlainMaxPooling(layerOf(conf, readers.get(0)));
            boolean afterDeferredRelu = isDeferringConvolution(layerOf(conf, inputNames.get(0)))
                    && consumers.getOrDefault(inputNames.get(0), List.of()).size() == 1;
            TrainingStage stage = stage(graph, gradientViews, name, where, layer, first, deferRelu,
                    afterDeferredRelu, reasons);
            if (stage == null) {
                return Optional.empty();
            }
            nodes.add(new Node(stage, null, inputs));
            index.put(name, nodes.size());
        }
        throw new IllegalStateException("unreachable: the output vertex ends the loop");
    }

    /** The stage of one layer, or null with a reason added. */
    private static TrainingStage stage(ComputationGraph graph, GradientViews gradientViews, String name, String where,
                                       Layer layer, boolean first, boolean deferRelu, boolean afterDeferredRelu,
                                       List<String> reasons) {
        if (layer instanceof ConvolutionLayer conv && conv.getClass() == ConvolutionLayer.class) {
            if (conv.getConvolutionMode() != ConvolutionMode.Truncate || !ones(conv.getDilation())
                    || conv.getCnn2dDataFormat() != CNN2DFormat.NCHW) {
                reasons.add(where + ": only NCHW convolutions in Truncate mode without dilation are compiled");
                return null;
            }
            boolean relu = isRelu(conv.getActivationFn());
            if (!relu && !(conv.getActivationFn() instanceof ActivationIdentity)) {
                reasons.add(where + ": activation " + conv.getActivationFn() + " is not compiled");
                return null;
            }
            Map<String, INDArray> params = graph.getLayer(name).paramTable();
            Map<String, INDArray> gradients = gradientViews.of(name);
            boolean bias = conv.hasBias();
            return new ConvolutionStage(where, params.get("W"), bias ? vector(params.get("b")) : null,
                    gradients.get("W"), bias ? vector(gradients.get("b")) : null, conv.getKernelSize(),
                    conv.getStride(), conv.getPadding(), relu && !deferRelu, first);
        }
        if (layer instanceof DepthwiseConvolution2D depthwise) {
            if (depthwise.getConvolutionMode() != ConvolutionMode.Truncate || !ones(depthwise.getDilation())
                    || depthwise.getCnn2dDataFormat() != CNN2DFormat.NCHW || depthwise.hasBias()
                    || !(depthwise.getActivationFn() instanceof ActivationIdentity)) {
                reasons.add(where + ": only NCHW depthwise convolutions in Truncate mode without dilation, bias or"
                        + " activation are compiled");
                return null;
            }
            return new DepthwiseConvolutionStage(where, graph.getLayer(name).getParam("W"),
                    gradientViews.of(name).get("W"), depthwise.getKernelSize(), depthwise.getStride(),
                    depthwise.getPadding(), first);
        }
        if (isPlainMaxPooling(layer)) {
            SubsamplingLayer pool = (SubsamplingLayer) layer;
            return new MaxPoolingStage(where, pool.getKernelSize(), pool.getStride(), afterDeferredRelu);
        }
        if (layer instanceof BatchNormalization norm) {
            return batchNormalization(graph, gradientViews, name, where, norm, first, reasons);
        }
        if (layer instanceof ActivationLayer activation && activation.getClass() == ActivationLayer.class) {
            if (activation.getActivationFn() instanceof ActivationReLU6) {
                return new ActivationStage(where, "relu6", 0.0, first);
            }
            if (isRelu(activation.getActivationFn())) {
                return new ActivationStage(where, "relu", 0.0, first);
            }
            reasons.add(where + ": activation " + activation.getActivationFn() + " is not compiled");
            return null;
        }
        if (layer instanceof GlobalPoolingLayer pooling && pooling.getClass() == GlobalPoolingLayer.class) {
            if (pooling.getPoolingType() != PoolingType.AVG || !pooling.isCollapseDimensions()
                    || pooling.getPoolingDimensions() != null && !Arrays.equals(pooling.getPoolingDimensions(),
                    new int[] {2, 3})) {
                reasons.add(where + ": only global average pooling over NCHW maps, collapsed, is compiled");
                return null;
            }
            return new GlobalAveragePoolingStage(where, first);
        }
        if (layer instanceof DenseLayer dense && dense.getClass() == DenseLayer.class) {
            boolean relu = isRelu(dense.getActivationFn());
            if (!relu && !(dense.getActivationFn() instanceof ActivationIdentity) || !dense.hasBias()
                    || dense.hasLayerNorm()) {
                reasons.add(where + ": only dense layers with bias and a ReLU or identity activation are compiled");
                return null;
            }
            Map<String, INDArray> params = graph.getLayer(name).paramTable();
            Map<String, INDArray> gradients = gradientViews.of(name);
            return new DenseStage(where, params.get("W"), params.get("b"), gradients.get("W"),
                    vector(gradients.get("b")), relu, first);
        }
        reasons.add(where + " (" + layer.getClass().getSimpleName() + ") has no compiled training stage");
        return null;
    }

    /**
     * The inference-mode batch normalization that a convolution's output goes to and only to, when the pair can run
     * as one convolution ({@link NormalizedConvolutionStage}): a 2D or depthwise convolution (NCHW, {@code Truncate},
     * no dilation) without bias or activation, read by nothing else; the normalization NCHW, without preprocessor,
     * dropout or constraints. Else null.
     */
    private static String fusableNormalization(ComputationGraphConfiguration conf, Layer layer, List<String> readers) {
        boolean convolution = layer instanceof ConvolutionLayer conv && conv.getClass() == ConvolutionLayer.class
                && !conv.hasBias() && conv.getCnn2dDataFormat() == CNN2DFormat.NCHW
                && conv.getConvolutionMode() == ConvolutionMode.Truncate && ones(conv.getDilation())
                && conv.getActivationFn() instanceof ActivationIdentity;
        boolean depthwise = layer instanceof DepthwiseConvolution2D dw && !dw.hasBias()
                && dw.getCnn2dDataFormat() == CNN2DFormat.NCHW
                && dw.getConvolutionMode() == ConvolutionMode.Truncate && ones(dw.getDilation())
                && dw.getActivationFn() instanceof ActivationIdentity;
        if (!(convolution || depthwise) || readers.size() != 1) {
            return null;
        }
        String reader = readers.get(0);
        if (!(conf.getVertices().get(reader) instanceof LayerVertex vertex) || vertex.getPreProcessor() != null
                || conf.getVertexInputs().get(reader).size() != 1) {
            return null;
        }
        Layer next = vertex.getLayerConf().getLayer();
        boolean inferenceNorm = next instanceof BatchNormalization norm && next instanceof InferenceModeNormalization
                && norm.getCnn2DFormat() == CNN2DFormat.NCHW && commonProblem(next, null, false) == null;
        return inferenceNorm ? reader : null;
    }

    /** The stage of a convolution and the inference-mode batch normalization after it, run as one. */
    private static TrainingStage normalizedConvolution(ComputationGraph graph, GradientViews gradientViews,
                                                       String name, String where, Layer layer, String normalization,
                                                       boolean first) {
        ConvolutionLayer conv = (ConvolutionLayer) layer;
        boolean depthwise = layer instanceof DepthwiseConvolution2D;
        NormalizedConvolutionStage.Convolution convolution = new NormalizedConvolutionStage.Convolution(where,
                depthwise, graph.getLayer(name).getParam("W"), gradientViews.of(name).get("W"), conv.getKernelSize(),
                conv.getStride(), conv.getPadding());
        BatchNormalization norm = (BatchNormalization) layerOf(graph.getConfiguration(), normalization);
        return new NormalizedConvolutionStage(convolution,
                normParameters(graph, gradientViews, normalization, norm), first);
    }

    /** An inference-mode batch normalization's stage, or null with a reason added. */
    private static TrainingStage batchNormalization(ComputationGraph graph, GradientViews gradientViews, String name,
                                                    String where, BatchNormalization norm, boolean first,
                                                    List<String> reasons) {
        if (!(norm instanceof InferenceModeNormalization)) {
            reasons.add(where + ": a batch normalization that trains on batch statistics is not compiled");
            return null;
        }
        if (norm.getCnn2DFormat() != CNN2DFormat.NCHW) {
            reasons.add(where + ": only NCHW batch normalizations are compiled");
            return null;
        }
        return new InferenceBatchNormStage(normParameters(graph, gradientViews, name, norm), first);
    }

    /**
     * The values and gradient views of an inference-mode batch normalization; zeroes the gradient views of its running
     * statistics (they never learn).
     */
    private static InferenceBatchNormStage.Parameters normParameters(ComputationGraph graph,
                                                                     GradientViews gradientViews, String name,
                                                                     BatchNormalization norm) {
        Map<String, INDArray> params = graph.getLayer(name).paramTable();
        Map<String, INDArray> gradients = gradientViews.of(name);
        INDArray mean = vector(params.get(BatchNormalizationParamInitializer.GLOBAL_MEAN));
        INDArray variance;
        String statistic;
        if (norm.isUseLogStd()) {
            statistic = BatchNormalizationParamInitializer.GLOBAL_LOG_STD;
            variance = Transforms.pow(Nd4j.valueArrayOf(mean.shape(), 10.0, mean.dataType()),
                    vector(params.get(statistic)), false);
            variance.muli(variance);
        } else {
            statistic = BatchNormalizationParamInitializer.GLOBAL_VAR;
            variance = vector(params.get(statistic)).dup();
        }
        INDArray inverseStd = Transforms.pow(Transforms.sqrt(variance.addi(norm.getEps()), false), -1, false);
        gradients.get(BatchNormalizationParamInitializer.GLOBAL_MEAN).assign(0);
        gradients.get(statistic).assign(0);
        boolean locked = norm.isLockGammaBeta();
        return new InferenceBatchNormStage.Parameters(mean, inverseStd,
                locked ? Nd4j.valueArrayOf(mean.shape(), norm.getGamma(), mean.dataType())
                        : vector(params.get(BatchNormalizationParamInitializer.GAMMA)),
                locked ? Nd4j.valueArrayOf(mean.shape(), norm.getBeta(), mean.dataType())
                        : vector(params.get(BatchNormalizationParamInitializer.BETA)),
                locked ? null : vector(gradients.get(BatchNormalizationParamInitializer.GAMMA)),
                locked ? null : vector(gradients.get(BatchNormalizationParamInitializer.BETA)));
    }

    private static Layer layerOf(ComputationGraphConfiguration conf, String name) {
        return conf.getVertices().get(name) instanceof LayerVertex vertex ? vertex.getLayerConf().getLayer() : null;
    }

    private static String commonProblem(Layer layer, InputPreProcessor preProcessor, boolean first) {
        if (preProcessor != null && !(preProcessor instanceof CnnToFeedForwardPreProcessor flatten
                && flatten.getFormat() == CNN2DFormat.NCHW && !first)) {
            return "input preprocessor " + preProcessor.getClass().getSimpleName() + " is not compiled";
        }
        if (preProcessor != null && !(layer instanceof DenseLayer || layer instanceof OutputLayer)) {
            return "a flatten before a " + layer.getClass().getSimpleName() + " is not compiled";
        }
        if (layer.getIDropout() != null) {
            return "dropout is not compiled";
        }
        if (layer.getConstraints() != null && !layer.getConstraints().isEmpty()) {
            return "constraints are not compiled";
        }
        if (layer instanceof BaseLayer base && base.getWeightNoise() != null) {
            return "weight noise is not compiled";
        }
        return null;
    }

    private static boolean isPlainMaxPooling(Layer layer) {
        return layer instanceof SubsamplingLayer pool && pool.getClass() == SubsamplingLayer.class
                && pool.getPoolingType() == PoolingType.MAX && pool.getConvolutionMode() == ConvolutionMode.Truncate
                && zeros(pool.getPadding()) && ones(pool.getDilation())
                && pool.getCnn2dDataFormat() == CNN2DFormat.NCHW;
    }

    private static boolean isDeferringConvolution(Layer layer) {
        return layer instanceof ConvolutionLayer conv && conv.getClass() == ConvolutionLayer.class
                && isRelu(conv.getActivationFn());
    }

    private static boolean isRelu(IActivation activation) {
        return activation instanceof ActivationReLU relu && relu.getMax() == null && zeroOrUnset(relu.getThreshold())
                && zeroOrUnset(relu.getNegativeSlope());
    }

    private static boolean zeroOrUnset(Double value) {
        return value == null || value == 0.0;
    }

    private static boolean zeros(int[] values) {
        for (int v : values) {
            if (v != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean ones(int[] values) {
        for (int v : values) {
            if (v != 1) {
                return false;
            }
        }
        return true;
    }

    private static INDArray vector(INDArray bias) {
        return bias.reshape(bias.length());
    }
}
