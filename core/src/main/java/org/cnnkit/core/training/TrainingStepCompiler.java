package org.cnnkit.core.training;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * Turns a {@link ComputationGraph} into {@link TrainingStage}s, or says why it cannot.
 *
 * <p>Supported: a chain from one input to one output of 2D convolutions (NCHW, {@code Truncate} mode, no padding or
 * dilation, with bias, ReLU or identity), max poolings (NCHW, {@code Truncate}, no padding or dilation), dense layers
 * (ReLU or identity) with at most DL4J's NCHW flatten before them, and a softmax + multi-class cross-entropy output
 * layer, in float32, without dropout, weight noise or constraints. Anything else (and every graph while another
 * detail differs) is left to DL4J's own training.
 */
final class TrainingStepCompiler {

    /** The compiled stages: the hidden ones in order, then the output. */
    record Compiled(List<TrainingStage> stages, SoftmaxOutputStage output) {
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
        List<String> chain = chain(conf, reasons);
        if (chain == null) {
            return Optional.empty();
        }
        List<TrainingStage> stages = new ArrayList<>();
        SoftmaxOutputStage output = null;
        for (int i = 0; i < chain.size(); i++) {
            String name = chain.get(i);
            String where = "layer '" + name + "'";
            LayerVertex vertex = (LayerVertex) conf.getVertices().get(name);
            Layer layer = vertex.getLayerConf().getLayer();
            boolean first = i == 0;
            boolean last = i == chain.size() - 1;
            String problem = commonProblem(layer, vertex.getPreProcessor(), first);
            if (problem != null) {
                reasons.add(where + ": " + problem);
                return Optional.empty();
            }
            if (last) {
                if (!(layer instanceof OutputLayer out) || !(out.getActivationFn() instanceof ActivationSoftmax)
                        || !(out.getLossFn() instanceof LossMCXENT mcxent) || mcxent.getWeights() != null
                        || !out.hasBias()) {
                    reasons.add(where + " is not a softmax output layer with unweighted MCXENT loss and a bias");
                    return Optional.empty();
                }
                Map<String, INDArray> params = graph.getLayer(name).paramTable();
                Map<String, INDArray> gradients = gradientViews.of(name);
                output = new SoftmaxOutputStage(new DenseStage(where, params.get("W"), params.get("b"),
                        gradients.get("W"), vector(gradients.get("b")), false, first));
            } else if (layer instanceof ConvolutionLayer conv && conv.getClass() == ConvolutionLayer.class) {
                if (conv.getConvolutionMode() != ConvolutionMode.Truncate || !zeros(conv.getPadding())
                        || !ones(conv.getDilation()) || conv.getCnn2dDataFormat() != CNN2DFormat.NCHW
                        || !conv.hasBias()) {
                    reasons.add(where + ": only NCHW convolutions in Truncate mode with bias, no padding and no"
                            + " dilation are compiled");
                    return Optional.empty();
                }
                boolean relu = isRelu(conv.getActivationFn());
                if (!relu && !(conv.getActivationFn() instanceof ActivationIdentity)) {
                    reasons.add(where + ": activation " + conv.getActivationFn() + " is not compiled");
                    return Optional.empty();
                }
                boolean deferRelu = relu && i + 1 < chain.size() && isPlainMaxPooling(
                        ((LayerVertex) conf.getVertices().get(chain.get(i + 1))).getLayerConf().getLayer());
                Map<String, INDArray> params = graph.getLayer(name).paramTable();
                Map<String, INDArray> gradients = gradientViews.of(name);
                stages.add(new ConvolutionStage(where, params.get("W"), vector(params.get("b")), gradients.get("W"),
                        vector(gradients.get("b")), conv.getKernelSize(), conv.getStride(), relu && !deferRelu,
                        first));
            } else if (isPlainMaxPooling(layer)) {
                SubsamplingLayer pool = (SubsamplingLayer) layer;
                boolean afterRelu = i > 0 && isDeferringConvolution(
                        ((LayerVertex) conf.getVertices().get(chain.get(i - 1))).getLayerConf().getLayer());
                stages.add(new MaxPoolingStage(where, pool.getKernelSize(), pool.getStride(), afterRelu));
            } else if (layer instanceof DenseLayer dense && dense.getClass() == DenseLayer.class) {
                boolean relu = isRelu(dense.getActivationFn());
                if (!relu && !(dense.getActivationFn() instanceof ActivationIdentity) || !dense.hasBias()
                        || dense.hasLayerNorm()) {
                    reasons.add(where + ": only dense layers with bias and a ReLU or identity activation are"
                            + " compiled");
                    return Optional.empty();
                }
                Map<String, INDArray> params = graph.getLayer(name).paramTable();
                Map<String, INDArray> gradients = gradientViews.of(name);
                stages.add(new DenseStage(where, params.get("W"), params.get("b"), gradients.get("W"),
                        vector(gradients.get("b")), relu, first));
            } else {
                reasons.add(where + " (" + layer.getClass().getSimpleName() + ") has no compiled training stage");
                return Optional.empty();
            }
        }
        return Optional.of(new Compiled(stages, output));
    }

    /** Returns the layer names from the input to the output, or null if the graph is not such a chain. */
    private static List<String> chain(ComputationGraphConfiguration conf, List<String> reasons) {
        String input = conf.getNetworkInputs().get(0);
        List<String> chain = new ArrayList<>();
        String previous = input;
        while (chain.size() < conf.getVertices().size()) {
            String next = null;
            for (Map.Entry<String, List<String>> entry : conf.getVertexInputs().entrySet()) {
                if (entry.getValue().contains(previous)) {
                    if (next != null || entry.getValue().size() != 1) {
                        reasons.add("the graph is not a chain of single-input layers at '" + previous + "'");
                        return null;
                    }
                    next = entry.getKey();
                }
            }
            if (next == null) {
                break;
            }
            GraphVertex vertex = conf.getVertices().get(next);
            if (!(vertex instanceof LayerVertex)) {
                reasons.add("vertex '" + next + "' (" + vertex.getClass().getSimpleName() + ") is not a layer");
                return null;
            }
            chain.add(next);
            previous = next;
        }
        if (chain.size() != conf.getVertices().size() || !previous.equals(conf.getNetworkOutputs().get(0))) {
            reasons.add("the graph is not one chain from its input to its output");
            return null;
        }
        return chain;
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
