package org.cnnkit.examples.bench;

import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.runtime.NativeRuntime;
import org.cnnkit.zoo.SeedCnn;
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
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The benchmark's networks, with the same shapes as the PyTorch peer's (random weights: speed does not depend on
 * them). The CNN is the zoo's; MobileNetV2 and VGG16 are interim copies until the zoo's MobileNetV2 and Vgg16
 * factories are on main.
 */
final class BenchNetworks {

    private BenchNetworks() {
    }

    /**
     * The notebook's CNN from the zoo ({@link SeedCnn#NOTEBOOK}). {@link NativeRuntime#accelerate} is a no-op when the
     * factory already installed the fast paths.
     */
    static ComputationGraph seedCnn(int size, int classes) {
        return NativeRuntime.accelerate(SeedCnn.NOTEBOOK.create(InputShape.rgb(size), classes, 0));
    }

    /** MobileNetV2's feature extractor (torchvision's {@code features}): ends with the 1x1 conv to 1280, ReLU6. */
    static ComputationGraph mobileNetV2Features(double alpha, int size) {
        NativeRuntime.ensureConfigured();
        GraphBuilder b = base().graphBuilder().addInputs("input");
        int channels = divisible(32 * alpha);
        String last = convBn(b, "stem", "input", channels, 3, 2, true);
        int[][] settings = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1},
            {6, 160, 3, 2}, {6, 320, 1, 1}};
        int block = 0;
        for (int[] s : settings) {
            int out = divisible(s[1] * alpha);
            for (int i = 0; i < s[2]; i++) {
                int stride = i == 0 ? s[3] : 1;
                String name = "block" + block++;
                String x = last;
                int hidden = (int) Math.round(channels * (double) s[0]);
                if (s[0] != 1) {
                    x = convBn(b, name + "_expand", x, hidden, 1, 1, true);
                }
                b.addLayer(name + "_dw", new DepthwiseConvolution2D.Builder(3, 3).depthMultiplier(1).stride(stride, stride)
                        .convolutionMode(ConvolutionMode.Same).hasBias(false).activation(Activation.IDENTITY).build(), x);
                b.addLayer(name + "_dw_bn", new BatchNormalization.Builder().eps(1e-5).build(), name + "_dw");
                b.addLayer(name + "_dw_relu", new ActivationLayer.Builder().activation(Activation.RELU6).build(),
                        name + "_dw_bn");
                x = convBn(b, name + "_project", name + "_dw_relu", out, 1, 1, false);
                if (stride == 1 && channels == out) {
                    b.addVertex(name + "_add", new ElementWiseVertex(ElementWiseVertex.Op.Add), x, last);
                    x = name + "_add";
                }
                last = x;
                channels = out;
            }
        }
        last = convBn(b, "head", last, divisible(1280 * Math.max(1.0, alpha)), 1, 1, true);
        b.setOutputs(last).setInputTypes(InputType.convolutional(size, size, 3));
        return init(b);
    }

    /** The trainable head of the frozen-base transfer model: Dense(1280 to 128, relu), Dense(n, softmax). */
    static ComputationGraph transferHead(int features, int classes) {
        NativeRuntime.ensureConfigured();
        GraphBuilder b = base().updater(new Adam(1e-3)).graphBuilder().addInputs("features");
        b.addLayer("dense", new DenseLayer.Builder().nIn(features).nOut(128).activation(Activation.RELU).build(),
                "features");
        b.addLayer("output", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(128).nOut(classes)
                .activation(Activation.SOFTMAX).build(), "dense");
        b.setOutputs("output");
        return init(b);
    }

    /** VGG16 up to {@code fc2} (with its ReLU): 13 3x3 convolutions, 5 max poolings, fc1 and fc2 of 4096. */
    static ComputationGraph vgg16Fc2(int size) {
        NativeRuntime.ensureConfigured();
        GraphBuilder b = base().graphBuilder().addInputs("input");
        int[][] stages = {{64, 2}, {128, 2}, {256, 3}, {512, 3}, {512, 3}};
        String last = "input";
        for (int s = 0; s < stages.length; s++) {
            for (int i = 0; i < stages[s][1]; i++) {
                String name = "block" + (s + 1) + "_conv" + (i + 1);
                b.addLayer(name, new ConvolutionLayer.Builder(3, 3).nOut(stages[s][0]).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.RELU).build(), last);
                last = name;
            }
            String pool = "block" + (s + 1) + "_pool";
            b.addLayer(pool, new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build(), last);
            last = pool;
        }
        b.addLayer("fc1", new DenseLayer.Builder().nOut(4096).activation(Activation.RELU).build(), last);
        b.addLayer("fc2", new DenseLayer.Builder().nOut(4096).activation(Activation.RELU).build(), "fc1");
        b.setOutputs("fc2").setInputTypes(InputType.convolutional(size, size, 3));
        return init(b);
    }

    private static NeuralNetConfiguration.Builder base() {
        return new NeuralNetConfiguration.Builder().seed(0).dataType(DataType.FLOAT).weightInit(WeightInit.RELU);
    }

    private static String convBn(GraphBuilder b, String name, String input, int out, int kernel, int stride,
            boolean relu6) {
        b.addLayer(name, new ConvolutionLayer.Builder(kernel, kernel).stride(stride, stride).nOut(out)
                .convolutionMode(ConvolutionMode.Same).hasBias(false).activation(Activation.IDENTITY).build(), input);
        b.addLayer(name + "_bn", new BatchNormalization.Builder().eps(1e-5).build(), name);
        if (!relu6) {
            return name + "_bn";
        }
        b.addLayer(name + "_relu", new ActivationLayer.Builder().activation(Activation.RELU6).build(), name + "_bn");
        return name + "_relu";
    }

    /** torchvision's {@code _make_divisible(v, 8)}. */
    static int divisible(double v) {
        int n = Math.max(8, (int) (v + 4) / 8 * 8);
        return n < 0.9 * v ? n + 8 : n;
    }

    private static ComputationGraph init(GraphBuilder b) {
        ComputationGraph graph = new ComputationGraph(b.build());
        graph.init();
        return NativeRuntime.accelerate(graph);
    }
}
