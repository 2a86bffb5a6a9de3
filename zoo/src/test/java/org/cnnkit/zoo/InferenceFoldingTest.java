package org.cnnkit.zoo;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.cnnkit.core.image.InputShape;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class InferenceFoldingTest {

    /** Gives every batch normalization non-trivial gamma, beta, mean and variance, as trained weights have. */
    private static void randomizeBatchNorms(ComputationGraph graph, long seed) {
        Nd4j.getRandom().setSeed(seed);
        for (Layer layer : graph.getLayers()) {
            if (layer.conf().getLayer() instanceof BatchNormalization) {
                layer.getParam("gamma").assign(Nd4j.rand(layer.getParam("gamma").shape()).addi(0.5));
                layer.getParam("beta").assign(Nd4j.randn(layer.getParam("beta").shape()).muli(0.3));
                layer.getParam("mean").assign(Nd4j.randn(layer.getParam("mean").shape()).muli(0.2));
                if (layer.getParam("var") != null) {
                    layer.getParam("var").assign(Nd4j.rand(layer.getParam("var").shape()).addi(0.3));
                } else { // DL4J's default: the standard deviation stored as its base-10 logarithm
                    INDArray logStd = layer.getParam("log10stdev");
                    logStd.assign(Nd4j.rand(logStd.shape()).subi(0.5).muli(0.6));
                }
            }
        }
    }

    private static long countLayers(ComputationGraph graph, Class<?> type) {
        return Arrays.stream(graph.getLayers()).filter(l -> type.isInstance(l.conf().getLayer())).count();
    }

    private static double maxRelativeDifference(INDArray a, INDArray b) {
        double scale = Math.max(1e-6, b.amaxNumber().doubleValue());
        return a.sub(b).amaxNumber().doubleValue() / scale;
    }

    @ParameterizedTest
    @ValueSource(ints = {48, 47})
    void foldedMobileNetV2ComputesTheSameFeaturesWithoutBatchNormalizationOrPadding(int size) {
        ComputationGraph graph = MobileNetV2.builder().optAlpha(0.35).setInputShape(InputShape.rgb(size)).build()
                .newGraph();
        randomizeBatchNorms(graph, 11);
        INDArray x = Nd4j.rand(DataType.FLOAT, 3, 3, size, size).muli(2).subi(1);

        ComputationGraph folded = InferenceFolding.fold(graph, InputShape.rgb(size));

        assertThat(countLayers(folded, BatchNormalization.class)).isZero();
        assertThat(countLayers(graph, ZeroPaddingLayer.class)).isEqualTo(5);
        assertThat(countLayers(folded, ZeroPaddingLayer.class)).isZero();
        assertThat(countLayers(graph, BatchNormalization.class)).isEqualTo(52);
        assertThat(countLayers(folded, ActivationLayer.class)).isZero();
        assertThat(folded.getConfiguration().getNetworkOutputs()).containsExactly(MobileNetV2.OUTPUT_NAME);
        // The image layers run channels-last inside; input and output stay channels-first.
        assertThat(Arrays.stream(folded.getLayers()).map(l -> l.conf().getLayer())
                .filter(ConvolutionLayer.class::isInstance).map(l -> ((ConvolutionLayer) l).getCnn2dDataFormat()))
                .isNotEmpty().containsOnly(CNN2DFormat.NHWC);
        INDArray expected = graph.outputSingle(false, x);
        INDArray actual = folded.outputSingle(false, x);
        assertThat(actual.shape()).containsExactly(expected.shape());
        assertThat(maxRelativeDifference(actual, expected)).isLessThan(1e-4);
        // The original graph is untouched.
        assertThat(countLayers(graph, BatchNormalization.class)).isEqualTo(52);
        assertThat(graph.outputSingle(false, x).equalsWithEps(expected, 0)).isTrue();
    }

    @Test
    void aConvolutionWithBiasAndALogStdBatchNormFoldsItsBiasToo() {
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(3)
                .dataType(DataType.FLOAT).graphBuilder().addInputs("in")
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nOut(4).hasBias(true)
                        .activation(Activation.IDENTITY).build(), "in")
                .addLayer("bn", new BatchNormalization.Builder().eps(1e-3).build(), "conv")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.MAX).build(), "bn")
                .setOutputs("pool").setInputTypes(InputType.convolutional(9, 9, 2)).build());
        graph.init();
        graph.getLayer("conv").getParam("b").assign(Nd4j.randn(DataType.FLOAT, 1, 4));
        randomizeBatchNorms(graph, 5);
        INDArray x = Nd4j.randn(DataType.FLOAT, 2, 2, 9, 9);

        ComputationGraph folded = InferenceFolding.fold(graph);

        assertThat(countLayers(folded, BatchNormalization.class)).isZero();
        assertThat(folded.getLayer("bn").conf().getLayer()).isInstanceOf(ConvolutionLayer.class);
        assertThat(maxRelativeDifference(folded.outputSingle(false, x), graph.outputSingle(false, x)))
                .isLessThan(1e-5);
    }

    @Test
    void flattenedImagesReachDenseLayersInTheSameOrderChannelsLast() {
        // VGG16's shape in small: convolutions and pooling, a flatten vertex, dense layers.
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(4)
                .dataType(DataType.FLOAT).convolutionMode(ConvolutionMode.Same).graphBuilder().addInputs("in")
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nOut(5).activation(Activation.RELU).build(), "in")
                .addLayer("pool", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build(),
                        "conv")
                .addVertex("flatten", new PreprocessorVertex(new CnnToFeedForwardPreProcessor(4, 3, 5)), "pool")
                .addLayer("fc", new DenseLayer.Builder().nOut(7).activation(Activation.TANH).build(), "flatten")
                .setOutputs("fc").setInputTypes(InputType.convolutional(8, 6, 3)).build());
        graph.init();
        INDArray x = Nd4j.randn(DataType.FLOAT, 3, 3, 8, 6);

        ComputationGraph folded = InferenceFolding.fold(graph, new InputShape(8, 6, 3));

        assertThat(((ConvolutionLayer) folded.getLayer("conv").conf().getLayer()).getCnn2dDataFormat())
                .isEqualTo(CNN2DFormat.NHWC);
        assertThat(folded.outputSingle(false, x).equalsWithEps(graph.outputSingle(false, x), 1e-5)).isTrue();
    }

    @Test
    void theNotebookCnnGivesTheSameProbabilitiesChannelsLast() {
        ComputationGraph graph = SeedCnn.NOTEBOOK.create(new InputShape(40, 36, 3), 3, 5);
        INDArray x = Nd4j.rand(DataType.FLOAT, 4, 3, 40, 36);

        ComputationGraph folded = InferenceFolding.fold(graph, new InputShape(40, 36, 3));

        assertThat(Arrays.stream(folded.getLayers()).map(l -> l.conf().getLayer())
                .filter(ConvolutionLayer.class::isInstance).map(l -> ((ConvolutionLayer) l).getCnn2dDataFormat()))
                .containsOnly(CNN2DFormat.NHWC);
        assertThat(folded.outputSingle(false, x).equalsWithEps(graph.outputSingle(false, x), 1e-5)).isTrue();
    }

    @Test
    void aPaddingThatSameModeWouldNotReproduceStays() {
        // Symmetric padding 1 before a 3x3 stride-2 convolution of an even size: Same mode would pad (0, 1).
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(3)
                .dataType(DataType.FLOAT).convolutionMode(ConvolutionMode.Truncate).graphBuilder().addInputs("in")
                .addLayer("pad", new ZeroPaddingLayer.Builder(1, 1, 1, 1).build(), "in")
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).stride(2, 2).nOut(4)
                        .activation(Activation.IDENTITY).build(), "pad")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.MAX).build(), "conv")
                .setOutputs("pool").setInputTypes(InputType.convolutional(10, 10, 3)).build());
        graph.init();
        INDArray x = Nd4j.randn(DataType.FLOAT, 2, 3, 10, 10);

        ComputationGraph folded = InferenceFolding.fold(graph, new InputShape(10, 10, 3));

        assertThat(countLayers(folded, ZeroPaddingLayer.class)).isEqualTo(1);
        assertThat(folded.outputSingle(false, x).equalsWithEps(graph.outputSingle(false, x), 1e-6)).isTrue();
    }

    @Test
    void aConvolutionReadByTwoVerticesIsLeftAlone() {
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(3)
                .dataType(DataType.FLOAT).graphBuilder().addInputs("in")
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.IDENTITY).build(),
                        "in")
                .addLayer("bn", new BatchNormalization.Builder().build(), "conv")
                .addLayer("poolBn", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "bn")
                .addLayer("poolConv", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "conv")
                .setOutputs("poolBn", "poolConv").setInputTypes(InputType.convolutional(8, 8, 1)).build());
        graph.init();
        randomizeBatchNorms(graph, 9);
        INDArray x = Nd4j.randn(DataType.FLOAT, 2, 1, 8, 8);

        ComputationGraph folded = InferenceFolding.fold(graph);

        assertThat(countLayers(folded, BatchNormalization.class)).isEqualTo(1);
        INDArray[] expected = graph.output(false, x);
        INDArray[] actual = folded.output(false, x);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i].equalsWithEps(expected[i], 1e-6)).isTrue();
        }
    }
}
