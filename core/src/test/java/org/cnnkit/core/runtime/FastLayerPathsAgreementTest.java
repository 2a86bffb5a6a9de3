package org.cnnkit.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The fast (oneDNN helper) path and DL4J's plain path give the same outputs, gradients and batch-norm statistics for
 * every layer type cnnkit uses: 2D convolution (5x5 valid with bias, 3x3 "same", 3x3 stride 2, 1x1, no bias),
 * depthwise convolution, batch normalization (training and inference), max and average pooling, global average
 * pooling, dense, ReLU, ReLU6, softmax with cross-entropy.
 *
 * <p><b>Tolerance.</b> Errors are {@code max|a - b| / max|reference|} per array. Each float32 path is compared with a
 * float64 run of the plain path on the same weights and data; the fast path must be at most twice as far from it as
 * the float32 plain path is, plus 1e-5. Fast and plain also agree within 1e-4 of each other on every output and every
 * gradient except batch-norm gamma gradients, which are allowed 1e-2.
 *
 * <p><b>The gap in batch-norm gamma gradients</b> (the up to 2.5% seen for MobileNetV2 in issue 3): the gamma gradient
 * of a channel is {@code sum(dy * xhat)} over batch x height x width, and since {@code xhat} sums to zero per channel
 * that sum nearly cancels: its value is tiny compared with its terms. Float32 rounding of the terms then dominates the
 * result, and oneDNN and DL4J sum in different orders. The float32 plain path is itself about as far from float64
 * (2.5e-3 here) as the fast path is: it is rounding, not a different formula. Moving mean and variance after a
 * training step agree to 1e-6, and so do beta gradients (which do not cancel).
 */
class FastLayerPathsAgreementTest {

    private static final double AGREEMENT = 1e-4;
    private static final double GAMMA_AGREEMENT = 1e-2;
    private static final double ACCURACY_FLOOR = 1e-5;

    @Test
    void seedCnnLayersAgreeOnOutputsAndGradients() {
        Comparison c = compare(b -> {
            b.addLayer("conv1", new ConvolutionLayer.Builder(5, 5).nOut(6).activation(Activation.RELU).build(), "input");
            b.addLayer("pool1", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build(),
                    "conv1");
            b.addLayer("conv2", new ConvolutionLayer.Builder(3, 3).nOut(4).convolutionMode(ConvolutionMode.Same)
                    .activation(Activation.RELU).build(), "pool1");
            b.addLayer("pool2", new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(2, 2).stride(2, 2).build(),
                    "conv2");
            b.addLayer("dense", new DenseLayer.Builder().nOut(8).activation(Activation.RELU).build(), "pool2");
            b.addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                    .activation(Activation.SOFTMAX).build(), "dense");
        });
        assertThat(c.helpers).isEqualTo(2);
        c.assertAgreement();
    }

    @Test
    void mobileNetV2BlockLayersAgreeOnOutputsGradientsAndStatistics() {
        Comparison c = compare(b -> {
            convBn(b, "stem", "input", 8, 3, 2, true);
            convBn(b, "expand", "stem_relu", 16, 1, 1, true);
            b.addLayer("dw", new DepthwiseConvolution2D.Builder(3, 3).depthMultiplier(1)
                    .convolutionMode(ConvolutionMode.Same).hasBias(false).activation(Activation.IDENTITY).build(),
                    "expand_relu");
            b.addLayer("dw_bn", new BatchNormalization.Builder().eps(1e-3).build(), "dw");
            b.addLayer("dw_relu", new ActivationLayer.Builder().activation(Activation.RELU6).build(), "dw_bn");
            convBn(b, "project", "dw_relu", 8, 1, 1, false);
            b.addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "project_bn", "stem_relu");
            b.addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "add");
            b.addLayer("dense", new DenseLayer.Builder().nOut(8).activation(Activation.RELU).build(), "gap");
            b.addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                    .activation(Activation.SOFTMAX).build(), "dense");
        });
        assertThat(c.helpers).isEqualTo(7);
        c.assertAgreement();
    }

    private static void convBn(GraphBuilder b, String name, String input, int out, int kernel, int stride,
            boolean relu6) {
        b.addLayer(name, new ConvolutionLayer.Builder(kernel, kernel).stride(stride, stride).nOut(out).hasBias(false)
                .convolutionMode(ConvolutionMode.Same).activation(Activation.IDENTITY).build(), input);
        b.addLayer(name + "_bn", new BatchNormalization.Builder().eps(1e-3).build(), name);
        if (relu6) {
            b.addLayer(name + "_relu", new ActivationLayer.Builder().activation(Activation.RELU6).build(),
                    name + "_bn");
        }
    }

    /** One array compared three ways. */
    private record Difference(String name, double fastVsPlain, double plainError, double fastError) {
    }

    private static final class Comparison {
        int helpers;
        final List<Difference> differences = new ArrayList<>();

        void add(String name, INDArray plain, INDArray fast, INDArray reference) {
            INDArray ref = reference.castTo(DataType.DOUBLE);
            differences.add(new Difference(name, relative(plain, fast, plain),
                    relative(plain.castTo(DataType.DOUBLE), ref, ref), relative(fast.castTo(DataType.DOUBLE), ref, ref)));
        }

        void assertAgreement() {
            for (Difference d : differences) {
                double agreement = d.name.endsWith("_gamma") ? GAMMA_AGREEMENT : AGREEMENT;
                assertThat(d.fastVsPlain).as("fast vs plain: %s", d).isLessThanOrEqualTo(agreement);
                assertThat(d.fastError).as("fast path's float32 error vs float64: %s", d)
                        .isLessThanOrEqualTo(2 * d.plainError + ACCURACY_FLOOR);
            }
        }
    }

    private static Comparison compare(Consumer<GraphBuilder> layers) {
        ComputationGraph plain = build(layers, DataType.FLOAT);
        ComputationGraph fast = build(layers, DataType.FLOAT);
        ComputationGraph reference = build(layers, DataType.DOUBLE);
        fast.setParams(plain.params().dup());
        reference.setParams(plain.params().castTo(DataType.DOUBLE));
        Comparison c = new Comparison();
        c.helpers = FastLayerPaths.install(fast.getLayers());

        Nd4j.getRandom().setSeed(7);
        INDArray x = Nd4j.rand(DataType.FLOAT, 4, 3, 16, 16).muli(255);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 4, 3);
        for (int i = 0; i < 4; i++) {
            y.putScalar(i, i % 3, 1);
        }
        INDArray xd = x.castTo(DataType.DOUBLE);
        INDArray yd = y.castTo(DataType.DOUBLE);

        c.add("inference output", plain.outputSingle(false, x), fast.outputSingle(false, x),
                reference.outputSingle(false, xd));
        c.add("training output", plain.outputSingle(true, x), fast.outputSingle(true, x),
                reference.outputSingle(true, xd));

        Map<String, INDArray> gp = gradients(plain, x, y);
        Map<String, INDArray> gf = gradients(fast, x, y);
        Map<String, INDArray> gr = gradients(reference, xd, yd);
        assertThat(gf.keySet()).isEqualTo(gp.keySet());
        gp.forEach((name, g) -> c.add(name, g, gf.get(name), gr.get(name)));

        plain.fit(new DataSet(x, y));
        fast.fit(new DataSet(x, y));
        reference.fit(new DataSet(xd, yd));
        for (Layer layer : plain.getLayers()) {
            String name = layer.conf().getLayer().getLayerName();
            if (layer instanceof org.deeplearning4j.nn.layers.normalization.BatchNormalization) {
                for (String stat : List.of("mean", "log10stdev")) {
                    c.add(name + " " + stat + " after a step", layer.getParam(stat),
                            fast.getLayer(name).getParam(stat), reference.getLayer(name).getParam(stat));
                }
            }
            assertThat(helperFailures(fast.getLayer(name))).as("helper fell back in %s", name).isZero();
        }
        return c;
    }

    private static Map<String, INDArray> gradients(ComputationGraph graph, INDArray x, INDArray y) {
        graph.setInputs(x);
        graph.setLabels(y);
        graph.computeGradientAndScore();
        return graph.gradient().gradientForVariable();
    }

    /** max|a - b| / max|scale|: the largest difference relative to the largest value. */
    private static double relative(INDArray a, INDArray b, INDArray scale) {
        double max = scale.amaxNumber().doubleValue();
        double diff = a.sub(b).amaxNumber().doubleValue();
        return max == 0 ? diff : diff / max;
    }

    /** DL4J counts helper failures (after which a layer falls back to its built-in path) in a field. */
    private static int helperFailures(Layer layer) {
        for (Class<?> c = layer.getClass(); c != null; c = c.getSuperclass()) {
            try {
                Field f = c.getDeclaredField("helperCountFail");
                f.setAccessible(true);
                return f.getInt(layer);
            } catch (NoSuchFieldException e) {
                // look in the superclass
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        return 0;
    }

    private static ComputationGraph build(Consumer<GraphBuilder> layers, DataType dataType) {
        GraphBuilder b = new NeuralNetConfiguration.Builder().seed(42).dataType(dataType).updater(new Sgd(0.1))
                .graphBuilder().addInputs("input");
        layers.accept(b);
        b.setOutputs("out").setInputTypes(InputType.convolutional(16, 16, 3));
        ComputationGraph graph = new ComputationGraph(b.build());
        graph.init();
        return graph;
    }
}
