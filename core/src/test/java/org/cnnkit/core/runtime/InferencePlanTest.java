package org.cnnkit.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.cnnkit.core.CnnkitException;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
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
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class InferencePlanTest {

    private static GraphBuilder builder() {
        return new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.FLOAT).graphBuilder().addInputs("in");
    }

    private static ComputationGraph initialized(GraphBuilder builder) {
        ComputationGraph graph = new ComputationGraph(builder.build());
        graph.init();
        return NativeRuntime.accelerate(graph);
    }

    /** The notebook's CNN shape, NCHW: 5x5 convolutions (Truncate), max pooling, flatten, dense, softmax. */
    private static ComputationGraph notebookLikeCnn() {
        return initialized(builder()
                .addLayer("conv1", new ConvolutionLayer.Builder(5, 5).nOut(8).activation(Activation.RELU).build(), "in")
                .addLayer("pool1", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build(),
                        "conv1")
                .addLayer("conv2", new ConvolutionLayer.Builder(5, 5).nOut(6).activation(Activation.RELU).build(),
                        "pool1")
                .addLayer("pool2", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(4, 4).stride(4, 4).build(),
                        "conv2")
                .addLayer("dense", new DenseLayer.Builder().nOut(16).activation(Activation.RELU).build(), "pool2")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "dense")
                .setOutputs("out").setInputTypes(InputType.convolutional(40, 40, 3)));
    }

    /**
     * A MobileNetV2-like block, NCHW and unfolded: zero padding, a strided convolution without bias, batch
     * normalization with non-trivial statistics, an activation layer, a depthwise convolution (Same mode), a 1x1
     * projection, a residual add, global max pooling, a frozen dense layer and the remaining activations.
     */
    private static ComputationGraph mobileLikeBlock() {
        ComputationGraph graph = initialized(builder()
                .addLayer("pad", new ZeroPaddingLayer.Builder(0, 1, 0, 1).build(), "in")
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).stride(2, 2).nOut(8).hasBias(false)
                        .activation(Activation.IDENTITY).build(), "pad")
                .addLayer("bn", new BatchNormalization.Builder().build(), "conv")
                .addLayer("relu6", new ActivationLayer.Builder().activation(Activation.RELU6).build(), "bn")
                .addLayer("dw", new DepthwiseConvolution2D.Builder(3, 3).convolutionMode(ConvolutionMode.Same)
                        .depthMultiplier(1).activation(Activation.RELU6).build(), "relu6")
                .addLayer("project", new ConvolutionLayer.Builder(1, 1).nOut(8).activation(Activation.IDENTITY)
                        .build(), "dw")
                .addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "relu6", "project")
                .addVertex("times", new ElementWiseVertex(ElementWiseVertex.Op.Product), "add", "project")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.MAX).build(), "times")
                .addLayer("frozen", new FrozenLayerWithBackprop(new DenseLayer.Builder().nIn(8).nOut(12)
                        .activation(Activation.LEAKYRELU).build()), "pool")
                .addLayer("tanh", new DenseLayer.Builder().nOut(10).activation(Activation.TANH).build(), "frozen")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.XENT).nOut(4)
                        .activation(Activation.SIGMOID).build(), "tanh")
                .setOutputs("out").setInputTypes(InputType.convolutional(17, 17, 3)));
        Nd4j.getRandom().setSeed(11);
        graph.getLayer("bn").getParam("mean").assign(Nd4j.rand(DataType.FLOAT, 1, 8).subi(0.5));
        graph.getLayer("bn").getParam("log10stdev").assign(Nd4j.rand(DataType.FLOAT, 1, 8).subi(0.5));
        graph.getLayer("bn").getParam("gamma").assign(Nd4j.rand(DataType.FLOAT, 1, 8).addi(0.5));
        graph.getLayer("bn").getParam("beta").assign(Nd4j.rand(DataType.FLOAT, 1, 8).subi(0.5));
        return graph;
    }

    /** Channels-last (NHWC) layers as cnnkit's folded graphs run them, with two outputs. */
    private static ComputationGraph channelsLast() {
        return initialized(builder()
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).stride(2, 2).nOut(6)
                        .convolutionMode(ConvolutionMode.Same).dataFormat(CNN2DFormat.NHWC)
                        .activation(Activation.RELU6).build(), "in")
                .addLayer("dw", new DepthwiseConvolution2D.Builder(3, 3).depthMultiplier(2)
                        .convolutionMode(ConvolutionMode.Same).dataFormat(CNN2DFormat.NHWC)
                        .activation(Activation.RELU6).build(), "conv")
                .addLayer("project", new ConvolutionLayer.Builder(1, 1).nOut(6).dataFormat(CNN2DFormat.NHWC)
                        .activation(Activation.IDENTITY).build(), "dw")
                .addVertex("sub", new ElementWiseVertex(ElementWiseVertex.Op.Subtract), "conv", "project")
                .addLayer("pool", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                        .dataFormat(CNN2DFormat.NHWC).build(), "sub")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(5)
                        .activation(Activation.SOFTMAX).build(), "pool")
                .setOutputs("out", "sub").setInputTypes(InputType.convolutional(16, 16, 3, CNN2DFormat.NHWC)));
    }

    private static double relativeDifference(INDArray actual, INDArray expected) {
        double scale = Math.max(1e-6, expected.amaxNumber().doubleValue());
        return actual.sub(expected).amaxNumber().doubleValue() / scale;
    }

    private static void assertSameOutputs(ComputationGraph graph, INDArray batch) {
        INDArray[] expected = graph.output(false, batch);
        INDArray[] actual = InferencePlanCompiler.compile(graph, batch.shape()).run(batch);
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i].shape()).as("output %d shape", i).isEqualTo(expected[i].shape());
            assertThat(relativeDifference(actual[i], expected[i])).as("output %d", i).isLessThan(1e-5);
        }
    }

    @Test
    void plansGiveTheGraphsOwnOutputsLayerTypeByLayerType() {
        Nd4j.getRandom().setSeed(5);
        assertSameOutputs(notebookLikeCnn(), Nd4j.rand(DataType.FLOAT, 3, 3, 40, 40));
        assertSameOutputs(mobileLikeBlock(), Nd4j.rand(DataType.FLOAT, 3, 3, 17, 17).muli(4).subi(2));
        assertSameOutputs(channelsLast(), Nd4j.rand(DataType.FLOAT, 3, 16, 16, 3).subi(0.5));
    }

    @Test
    void aPlanRunAgainOnNewImagesGivesTheirOwnOutputs() {
        ComputationGraph graph = mobileLikeBlock();
        InferencePlan plan = InferencePlanCompiler.compile(graph, new long[] {2, 3, 17, 17});
        INDArray first = Nd4j.rand(DataType.FLOAT, 2, 3, 17, 17);
        INDArray second = Nd4j.rand(DataType.FLOAT, 2, 3, 17, 17).muli(-3);

        INDArray firstOutput = plan.run(first)[0];
        INDArray secondOutput = plan.run(second)[0];

        assertThat(relativeDifference(firstOutput, graph.outputSingle(false, first))).isLessThan(1e-5);
        assertThat(relativeDifference(secondOutput, graph.outputSingle(false, second))).isLessThan(1e-5);
        assertThat(firstOutput.equalsWithEps(secondOutput, 1e-3)).isFalse();
    }

    @Test
    void parameterChangesMadeToTheGraphInPlaceAreSeenByTheNextRun() {
        ComputationGraph graph = notebookLikeCnn();
        INDArray batch = Nd4j.rand(DataType.FLOAT, 2, 3, 40, 40);
        InferencePlan plan = InferencePlanCompiler.compile(graph, batch.shape());
        INDArray before = plan.run(batch)[0];

        graph.params().muli(1.7); // in place, as DL4J's training updates do

        INDArray after = plan.run(batch)[0];
        assertThat(after.equalsWithEps(before, 1e-3)).isFalse();
        assertThat(relativeDifference(after, graph.outputSingle(false, batch))).isLessThan(1e-5);
    }

    @Test
    void activationBuffersAreReusedAlongAChainOfLayers() {
        GraphBuilder builder = builder();
        String previous = "in";
        for (int i = 0; i < 8; i++) {
            builder.addLayer("conv" + i, new ConvolutionLayer.Builder(3, 3).nOut(4)
                    .convolutionMode(ConvolutionMode.Same).activation(Activation.RELU).build(), previous);
            previous = "conv" + i;
        }
        ComputationGraph graph = initialized(builder.setOutputs(previous)
                .setInputTypes(InputType.convolutional(20, 20, 4)));
        long oneActivation = 2L * 4 * 20 * 20 * Float.BYTES;

        InferencePlan plan = InferencePlanCompiler.compile(graph, new long[] {2, 4, 20, 20});

        assertThat(plan.activationBytes()).isLessThanOrEqualTo(3 * oneActivation);
        INDArray batch = Nd4j.rand(DataType.FLOAT, 2, 4, 20, 20);
        assertThat(relativeDifference(plan.run(batch)[0], graph.outputSingle(false, batch))).isLessThan(1e-5);
    }

    @Test
    void plansCompiledOnSharedBuffersTakeWhatTheLargestNeedsAndStillGiveTheirOwnOutputs() {
        ComputationGraph graph = mobileLikeBlock();
        long alone = InferencePlanCompiler.compile(graph, new long[] {6, 3, 17, 17}).activationBytes();
        PlanBuffers shared = new PlanBuffers(DataType.FLOAT);
        InferencePlan large = InferencePlanCompiler.compile(graph, new long[] {6, 3, 17, 17}, shared);
        InferencePlan small = InferencePlanCompiler.compile(graph, new long[] {2, 3, 17, 17}, shared);

        assertThat(shared.allocatedBytes()).isEqualTo(alone);
        for (int round = 0; round < 2; round++) { // alternating, as a replica does
            INDArray six = Nd4j.rand(DataType.FLOAT, 6, 3, 17, 17);
            INDArray two = Nd4j.rand(DataType.FLOAT, 2, 3, 17, 17);
            assertThat(relativeDifference(large.run(six)[0], graph.outputSingle(false, six))).isLessThan(1e-5);
            assertThat(relativeDifference(small.run(two)[0], graph.outputSingle(false, two))).isLessThan(1e-5);
        }
    }

    @Test
    void batchNormalizationWithLockedGammaAndBetaUsesTheConfiguredValues() {
        ComputationGraph graph = initialized(builder()
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.IDENTITY).build(),
                        "in")
                .addLayer("bn", new BatchNormalization.Builder().lockGammaBeta(true).gamma(1.5).beta(-0.25).build(),
                        "conv")
                .setOutputs("bn").setInputTypes(InputType.convolutional(8, 8, 3)));
        graph.getLayer("bn").getParam("mean").assign(Nd4j.rand(DataType.FLOAT, 1, 4));
        INDArray batch = Nd4j.rand(DataType.FLOAT, 3, 3, 8, 8);

        assertThat(InferencePlanCompiler.unsupportedReason(graph)).isEmpty();
        assertSameOutputs(graph, batch);
    }

    @Test
    void anInputWithTheWrongChannelsIsRefusedNamingTheLayer() {
        assertThatThrownBy(() -> InferencePlanCompiler.compile(notebookLikeCnn(), new long[] {2, 1, 40, 40}))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining("layer 'conv1'")
                .hasMessageContaining("expects 3 input channels")
                .hasMessageContaining("[2, 1, 40, 40]");
    }

    @Test
    void anImageOfTheWrongSizeIsRefusedNamingTheLayerItDoesNotFit() {
        assertThatThrownBy(() -> InferencePlanCompiler.compile(notebookLikeCnn(), new long[] {2, 3, 52, 52}))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining("layer 'dense'")
                .hasMessageContaining("[2, 6, 5, 5]");
    }

    @Test
    void aBatchOfAnotherShapeIsRefusedByAPlan() {
        InferencePlan plan = InferencePlanCompiler.compile(notebookLikeCnn(), new long[] {2, 3, 40, 40});

        assertThatThrownBy(() -> plan.run(Nd4j.rand(DataType.FLOAT, 3, 3, 40, 40)))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining("[2, 3, 40, 40]")
                .hasMessageContaining("[3, 3, 40, 40]");
    }

    @Test
    void unsupportedVerticesAreNamedAndParallelInferenceKeepsDl4jsForwardPassForThem() {
        ComputationGraph graph = initialized(builder()
                .addLayer("a", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build(), "in")
                .addLayer("b", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build(), "in")
                .addVertex("merge", new MergeVertex(), "a", "b")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "merge")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2)
                        .activation(Activation.SOFTMAX).build(), "pool")
                .setOutputs("out").setInputTypes(InputType.convolutional(10, 10, 3)));
        INDArray batch = Nd4j.rand(DataType.FLOAT, 4, 3, 10, 10);

        assertThat(InferencePlanCompiler.unsupportedReason(graph)).hasValueSatisfying(reason ->
                assertThat(reason).contains("'merge'").contains("MergeVertex"));
        ParallelInference inference = ParallelInference.of(graph, 2);
        assertThat(inference.usesCompiledPlans()).isFalse();
        assertThat(relativeDifference(inference.outputSingle(batch), graph.outputSingle(false, batch)))
                .isLessThan(1e-5);
    }

    @Test
    void averagePoolingLayersAreNotCompiled() {
        ComputationGraph graph = initialized(builder()
                .addLayer("avg", new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(2, 2).stride(2, 2).build(),
                        "in")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2)
                        .activation(Activation.SOFTMAX).build(), "avg")
                .setOutputs("out").setInputTypes(InputType.convolutional(8, 8, 3)));

        assertThat(InferencePlanCompiler.unsupportedReason(graph)).hasValueSatisfying(reason ->
                assertThat(reason).contains("'avg'").contains("AVG pooling"));
    }

    @Test
    void parallelInferenceRunsPlansOnItsWorkersWithTheGraphsOutputs() {
        ComputationGraph graph = mobileLikeBlock();
        ParallelInference inference = ParallelInference.of(graph, 2, 2);
        INDArray batch = Nd4j.rand(DataType.FLOAT, 7, 3, 17, 17).muli(2);

        assertThat(inference.usesCompiledPlans()).isTrue();
        assertThat(ParallelInference.of(graph, 1).usesCompiledPlans()).as("one worker: the graph itself").isFalse();
        assertThat(relativeDifference(inference.outputSingle(batch), graph.outputSingle(false, batch)))
                .isLessThan(1e-5);
    }
}
