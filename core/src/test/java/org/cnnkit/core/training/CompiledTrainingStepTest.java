package org.cnnkit.core.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import java.util.Random;
import java.util.function.Consumer;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.runtime.NativeRuntime;
import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class CompiledTrainingStepTest {

    private static final int STEPS = 5;
    private static final double TOLERANCE = 1e-5;

    @Test
    void notebookShapedNetworkLearnsTheSameWeightsAsDl4jFit() {
        // conv relu -> max pool (ReLU deferred past the pooling; first layer's gradients from shifted rows),
        // conv relu -> max pool (conv2d_bp with input gradient), flatten, dense relu, softmax output
        assertSameTraining(() -> graph(22, g -> {
            g.addLayer("conv1", conv(4, 5, 1, Activation.RELU), "input");
            g.addLayer("pool1", maxPool(2), "conv1");
            g.addLayer("conv2", conv(3, 3, 1, Activation.RELU), "pool1");
            g.addLayer("pool2", maxPool(2), "conv2");
            g.addLayer("dense", dense(Activation.RELU), "pool2");
            g.addLayer("output", output(), "dense");
        }), 22, 8);
    }

    @Test
    void convolutionWithoutActivationOrPoolingTrainsTheSame() {
        assertSameTraining(() -> graph(12, g -> {
            g.addLayer("conv1", conv(3, 3, 1, Activation.IDENTITY), "input");
            g.addLayer("conv2", conv(2, 3, 1, Activation.RELU), "conv1");
            g.addLayer("output", output(), "conv2");
        }), 12, 6);
    }

    @Test
    void stridedFirstConvolutionTrainsTheSameWhetherOrNotTheStridesTileTheInput() {
        for (int size : new int[] {13, 14}) { // (13 - 3) % 2 == 0: transposed convolution; 14: conv2d_bp
            int side = size;
            assertSameTraining(() -> graph(side, g -> {
                g.addLayer("conv1", conv(3, 3, 2, Activation.RELU), "input");
                g.addLayer("dense", dense(Activation.IDENTITY), "conv1");
                g.addLayer("output", output(), "dense");
            }), side, 5);
        }
    }

    @Test
    void firstConvolutionWithAWideKernelAndNoBiasTrainsTheSame() {
        // stride 1, no padding: weight gradient from shifted rows; a 3x5 kernel so that rows and columns differ
        assertSameTraining(() -> graph(11, g -> {
            g.addLayer("conv1", new ConvolutionLayer.Builder(3, 5).nOut(4).hasBias(false)
                    .activation(Activation.RELU).build(), "input");
            g.addLayer("dense", dense(Activation.IDENTITY), "conv1");
            g.addLayer("output", output(), "dense");
        }), 11, 5);
    }

    @Test
    void maxPoolingAfterAnIdentityConvolutionTrainsTheSame() {
        assertSameTraining(() -> graph(16, g -> {
            g.addLayer("conv1", conv(3, 3, 1, Activation.IDENTITY), "input");
            g.addLayer("pool1", maxPool(2), "conv1");
            g.addLayer("output", output(), "pool1");
        }), 16, 4);
    }

    @Test
    void overlappingMaxPoolingKeepsLibnd4jsOperationsAndTrainsTheSame() {
        // 3x3 windows at stride 2 do not tile the input: maxpool2d and maxpool2d_bp, the ReLU deferred past them
        assertSameTraining(() -> graph(15, g -> {
            g.addLayer("conv1", conv(4, 3, 1, Activation.RELU), "input");
            g.addLayer("pool1", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(3, 3).stride(2, 2).build(),
                    "conv1");
            g.addLayer("conv2", conv(3, 3, 1, Activation.RELU), "pool1");
            g.addLayer("pool2", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(1, 1).build(),
                    "conv2");
            g.addLayer("output", output(), "pool2");
        }), 15, 5);
    }

    @Test
    void maxPoolingWithTiesAndLeftOverRowsTrainsTheSame() {
        // images of constant 2x2 blocks through a 1x1 convolution: every pooling window holds a tie; 13 leaves a row
        // and a column out of the 2x2 pooling, and 6 out of 4 in the second pooling. (Tied positions read the same
        // input here, so which of them gets the gradient does not change the weights: TiledMaxPoolingTest checks that
        // position against maxpool2d_bp.)
        for (Activation activation : new Activation[] {Activation.RELU, Activation.IDENTITY}) {
            for (int workers = 1; workers <= 2; workers++) {
                ComputationGraph compiled = graph(13, g -> {
                    g.addLayer("conv1", conv(4, 1, 1, activation), "input");
                    g.addLayer("pool1", maxPool(2), "conv1");
                    g.addLayer("pool2", maxPool(4), "pool1");
                    g.addLayer("output", output(), "pool2");
                });
                ComputationGraph reference = compiled.clone();
                CompiledTrainingStep step = CompiledTrainingStep.of(compiled, workers).orElseThrow();
                Random random = new Random(9);
                for (int i = 0; i < STEPS; i++) {
                    DataSet data = batch(random, 6, 13);
                    INDArray blocks = Nd4j.rand(DataType.FLOAT, 6, 3, 7, 7).subi(0.5);
                    for (int h = 0; h < 13; h++) {
                        for (int w = 0; w < 13; w++) {
                            data.getFeatures().get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(h),
                                    NDArrayIndex.point(w)).assign(blocks.get(NDArrayIndex.all(), NDArrayIndex.all(),
                                    NDArrayIndex.point(h / 2), NDArrayIndex.point(w / 2)));
                        }
                    }
                    reference.fit(data);
                    step.fit(data);
                }
                assertClose(compiled, reference);
            }
        }
    }

    @Test
    void smallerLastBatchesAndBatchSizeChangesTrainTheSame() {
        ComputationGraph compiled = graph(14, g -> {
            g.addLayer("conv1", conv(3, 3, 1, Activation.RELU), "input");
            g.addLayer("pool1", maxPool(2), "conv1");
            g.addLayer("dense", dense(Activation.RELU), "pool1");
            g.addLayer("output", output(), "dense");
        });
        ComputationGraph reference = compiled.clone();
        CompiledTrainingStep step = CompiledTrainingStep.of(compiled, 2).orElseThrow();
        Random random = new Random(3);
        for (int batch : new int[] {8, 8, 3, 8, 5, 1, 3, 8}) {
            DataSet data = batch(random, batch, 14);
            reference.fit(data);
            step.fit(data);
        }
        assertClose(compiled, reference);
    }

    @Test
    void scoreIterationCountAndOutputMatchDl4j() {
        ComputationGraph compiled = graph(12, g -> {
            g.addLayer("conv1", conv(3, 3, 1, Activation.RELU), "input");
            g.addLayer("output", output(), "conv1");
        });
        ComputationGraph reference = compiled.clone();
        CompiledTrainingStep step = CompiledTrainingStep.of(compiled, 2).orElseThrow();
        DataSet data = batch(new Random(5), 6, 12);
        INDArray expectedOutput = reference.outputSingle(false, data.getFeatures());
        reference.fit(data);
        double loss = step.fit(data);
        assertThat(loss).isCloseTo(reference.score(), org.assertj.core.data.Offset.offset(1e-5));
        assertThat(compiled.score()).isEqualTo(loss);
        assertThat(compiled.getConfiguration().getIterationCount())
                .isEqualTo(reference.getConfiguration().getIterationCount()).isEqualTo(1);
        assertThat(step.lastOutput().equalsWithEps(expectedOutput, 1e-5)).isTrue();
    }

    @Test
    void anotherUpdaterIsAppliedAsDl4jAppliesIt() {
        assertSameTraining(() -> graph(12, new Sgd(0.05), g -> {
            g.addLayer("conv1", conv(3, 3, 1, Activation.RELU), "input");
            g.addLayer("pool1", maxPool(2), "conv1");
            g.addLayer("output", output(), "pool1");
        }), 12, 6);
    }

    @Test
    void mobileNetV2ShapedResidualBlocksTrainTheSame() {
        // 1x1 convolutions without bias, a padded 3x3 depthwise convolution, ReLU6 activation layers, residual
        // additions (one of them reading the network's input, which a first convolution reads too), global average
        // pooling, dense ReLU and softmax: the tail of MobileNetV2 without its batch normalizations
        assertSameTraining(() -> graph(6, g -> {
            g.addLayer("expand", pointwise(12), "input");
            g.addLayer("expand_relu", relu6(), "expand");
            g.addLayer("depthwise", new DepthwiseConvolution2D.Builder(3, 3).padding(1, 1).depthMultiplier(1)
                    .hasBias(false).activation(Activation.IDENTITY).build(), "expand_relu");
            g.addLayer("depthwise_relu", relu6(), "depthwise");
            g.addLayer("project", pointwise(3), "depthwise_relu");
            g.addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "input", "project");
            g.addLayer("expand2", pointwise(6), "add");
            g.addLayer("expand2_relu", relu6(), "expand2");
            g.addLayer("project2", pointwise(3), "expand2_relu");
            g.addVertex("add2", new ElementWiseVertex(ElementWiseVertex.Op.Add), "add", "project2");
            g.addLayer("top", pointwise(16), "add2");
            g.addLayer("top_relu", relu6(), "top");
            g.addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "top_relu");
            g.addLayer("dense", dense(Activation.RELU), "pool");
            g.addLayer("output", output(), "dense");
        }), 6, 8);
    }

    @Test
    void paddedConvolutionsWithAndWithoutBiasTrainTheSame() {
        assertSameTraining(() -> graph(9, g -> {
            g.addLayer("conv1", new ConvolutionLayer.Builder(3, 3).padding(1, 1).nOut(4).hasBias(false)
                    .activation(Activation.RELU).build(), "input");
            g.addLayer("conv2", new ConvolutionLayer.Builder(3, 3).stride(2, 2).padding(1, 1).nOut(3)
                    .activation(Activation.IDENTITY).build(), "conv1");
            g.addLayer("output", output(), "conv2");
        }), 9, 5);
    }

    @Test
    void unsupportedLayersLeaveTheGraphToDl4j() {
        ComputationGraph averagePooling = graph(12, g -> {
            g.addLayer("conv1", conv(3, 3, 1, Activation.RELU), "input");
            g.addLayer("pool1", new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(2, 2).stride(2, 2).build(),
                    "conv1");
            g.addLayer("output", output(), "pool1");
        });
        ComputationGraph sigmoid = graph(12, g -> {
            g.addLayer("conv1", conv(3, 3, 1, Activation.SIGMOID), "input");
            g.addLayer("output", output(), "conv1");
        });
        assertThat(CompiledTrainingStep.of(averagePooling)).isEmpty();
        assertThat(CompiledTrainingStep.of(sigmoid)).isEmpty();
    }

    @Test
    void wrongLabelsAreAClearError() {
        ComputationGraph graph = graph(12, g -> {
            g.addLayer("conv1", conv(3, 3, 1, Activation.RELU), "input");
            g.addLayer("output", output(), "conv1");
        });
        CompiledTrainingStep step = CompiledTrainingStep.of(graph).orElseThrow();
        DataSet wrong = new DataSet(Nd4j.rand(DataType.FLOAT, 4, 3, 12, 12), Nd4j.zeros(DataType.FLOAT, 4, 5));
        assertThatThrownBy(() -> step.fit(wrong)).isInstanceOf(CnnkitException.class)
                .hasMessageContaining("labels have shape [4, 5]").hasMessageContaining("3 outputs");
        assertThatThrownBy(() -> CompiledTrainingStep.of(graph, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("workers");
    }

    /** Trains a graph with DL4J's fit and with the compiled step on 1, 2 and 3 workers, and compares the weights. */
    private static void assertSameTraining(java.util.function.Supplier<ComputationGraph> network, int size,
                                           int batch) {
        for (int workers = 1; workers <= 3; workers++) {
            ComputationGraph compiled = network.get();
            ComputationGraph reference = compiled.clone();
            Optional<CompiledTrainingStep> step = CompiledTrainingStep.of(compiled, workers);
            assertThat(step).as("compiled training of this graph").isPresent();
            Random random = new Random(7);
            for (int i = 0; i < STEPS; i++) {
                DataSet data = batch(random, batch, size);
                reference.fit(data);
                step.get().fit(data);
            }
            assertClose(compiled, reference);
        }
    }

    private static void assertClose(ComputationGraph compiled, ComputationGraph reference) {
        for (org.deeplearning4j.nn.api.Layer referenceLayer : reference.getLayers()) {
            String layer = referenceLayer.conf().getLayer().getLayerName();
            reference.getLayer(layer).paramTable().forEach((param, expected) -> {
                INDArray actual = compiled.getLayer(layer).getParam(param);
                double difference = actual.sub(expected).amaxNumber().doubleValue();
                assertThat(difference).as(layer + "_" + param + " after the same steps").isLessThan(TOLERANCE);
            });
        }
        INDArray state = reference.getUpdater().getStateViewArray();
        if (state != null) {
            assertThat(compiled.getUpdater().getStateViewArray().equalsWithEps(state, 1e-6)).as("updater state")
                    .isTrue();
        }
    }

    private static DataSet batch(Random random, int n, int size) {
        INDArray features = Nd4j.rand(DataType.FLOAT, n, 3, size, size);
        INDArray labels = Nd4j.zeros(DataType.FLOAT, n, 3);
        for (int i = 0; i < n; i++) {
            labels.putScalar(i, random.nextInt(3), 1.0);
        }
        return new DataSet(features, labels);
    }

    private static ComputationGraph graph(int size, Consumer<ComputationGraphConfiguration.GraphBuilder> layers) {
        return graph(size, new Adam(1e-2), layers);
    }

    private static ComputationGraph graph(int size, org.nd4j.linalg.learning.config.IUpdater updater,
                                          Consumer<ComputationGraphConfiguration.GraphBuilder> layers) {
        NativeRuntime.ensureConfigured();
        Nd4j.getRandom().setSeed(11);
        ComputationGraphConfiguration.GraphBuilder builder = new NeuralNetConfiguration.Builder()
                .seed(11)
                .dataType(DataType.FLOAT)
                .updater(updater)
                .weightInit(WeightInit.XAVIER_UNIFORM)
                .convolutionMode(ConvolutionMode.Truncate)
                .cacheMode(CacheMode.DEVICE)
                .graphBuilder()
                .addInputs("input")
                .setInputTypes(InputType.convolutional(size, size, 3));
        layers.accept(builder);
        ComputationGraph graph = new ComputationGraph(builder.setOutputs("output").build());
        graph.init();
        return NativeRuntime.accelerate(graph);
    }

    private static ConvolutionLayer conv(int filters, int kernel, int stride, Activation activation) {
        return new ConvolutionLayer.Builder(kernel, kernel).stride(stride, stride).nOut(filters)
                .activation(activation).build();
    }

    private static ConvolutionLayer pointwise(int filters) {
        return new ConvolutionLayer.Builder(1, 1).nOut(filters).hasBias(false).activation(Activation.IDENTITY)
                .build();
    }

    private static ActivationLayer relu6() {
        return new ActivationLayer.Builder().activation(Activation.RELU6).build();
    }

    private static SubsamplingLayer maxPool(int size) {
        return new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(size, size).stride(size, size).build();
    }

    private static DenseLayer dense(Activation activation) {
        return new DenseLayer.Builder().nOut(8).activation(activation).build();
    }

    private static OutputLayer output() {
        return new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3).activation(Activation.SOFTMAX)
                .build();
    }
}
