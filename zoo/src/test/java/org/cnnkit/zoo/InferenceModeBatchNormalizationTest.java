package org.cnnkit.zoo;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class InferenceModeBatchNormalizationTest {

    private static final double EPS = 1e-3;

    /** conv (no bias) -> inference-mode batch normalization -> global average pooling -> softmax, 3 classes. */
    private static ComputationGraph network(DataType dataType, IUpdater updater) {
        BatchNormalization plain = new BatchNormalization.Builder().eps(EPS).decay(0.9).useLogStd(false).build();
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .seed(7).dataType(dataType).updater(updater).weightInit(WeightInit.XAVIER)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(6, 6, 2))
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nOut(4).hasBias(false)
                        .activation(Activation.IDENTITY).build(), "in")
                .addLayer("bn", InferenceModeBatchNormalization.of(plain), "conv")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "bn")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "pool")
                .setOutputs("out")
                .build());
        graph.init();
        Nd4j.getRandom().setSeed(11);
        graph.getLayer("bn").getParam("mean").assign(Nd4j.randn(dataType, 1, 4));
        graph.getLayer("bn").getParam("var").assign(Nd4j.rand(dataType, 1, 4).addi(0.5));
        graph.getLayer("bn").getParam("gamma").assign(Nd4j.rand(dataType, 1, 4).addi(0.5));
        graph.getLayer("bn").getParam("beta").assign(Nd4j.randn(dataType, 1, 4));
        return graph;
    }

    private static DataSet batch(DataType dataType) {
        Nd4j.getRandom().setSeed(12);
        INDArray labels = Nd4j.zeros(dataType, 5, 3);
        for (int i = 0; i < 5; i++) {
            labels.putScalar(i, i % 3, 1);
        }
        return new DataSet(Nd4j.randn(dataType, 5, 2, 6, 6), labels);
    }

    @Test
    void itNormalizesWithTheRunningStatisticsInTrainingToo() {
        ComputationGraph graph = network(DataType.DOUBLE, new NoOp());
        INDArray x = batch(DataType.DOUBLE).getFeatures();
        INDArray conv = graph.feedForward(x, false).get("conv");
        INDArray expected = conv.dup();
        for (int c = 0; c < 4; c++) {
            double mean = graph.getLayer("bn").getParam("mean").getDouble(c);
            double std = Math.sqrt(graph.getLayer("bn").getParam("var").getDouble(c) + EPS);
            double gamma = graph.getLayer("bn").getParam("gamma").getDouble(c);
            double beta = graph.getLayer("bn").getParam("beta").getDouble(c);
            INDArray channel = expected.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                    org.nd4j.linalg.indexing.NDArrayIndex.point(c));
            channel.subi(mean).divi(std).muli(gamma).addi(beta);
        }
        assertThat(graph.feedForward(x, true).get("bn").sub(expected).amaxNumber().doubleValue()).isLessThan(1e-12);
        assertThat(graph.feedForward(x, false).get("bn").sub(expected).amaxNumber().doubleValue()).isLessThan(1e-12);
    }

    @Test
    void inTrainingItGivesWhatDl4jsOwnBatchNormalizationGivesInInferenceWithLogStdOrLockedGammaBeta() {
        for (BatchNormalization plain : new BatchNormalization[] {
                new BatchNormalization.Builder().eps(EPS).useLogStd(true).build(),
                new BatchNormalization.Builder().eps(EPS).useLogStd(false).lockGammaBeta(true).gamma(1.5).beta(-0.5)
                        .build()}) {
            ComputationGraph inference = single(InferenceModeBatchNormalization.of(plain));
            ComputationGraph dl4j = single(plain);
            Nd4j.getRandom().setSeed(5);
            dl4j.params().assign(Nd4j.rand(DataType.FLOAT, dl4j.params().shape()).addi(0.5));
            inference.params().assign(dl4j.params());
            INDArray x = Nd4j.randn(DataType.FLOAT, 4, 3, 5, 5);
            INDArray expected = dl4j.outputSingle(false, x);
            assertThat(inference.feedForward(x, true).get("bn").sub(expected).amaxNumber().doubleValue())
                    .as("useLogStd %s, lockGammaBeta %s", plain.isUseLogStd(), plain.isLockGammaBeta())
                    .isLessThan(1e-5);
            assertThat(inference.outputSingle(false, x).sub(expected).amaxNumber().doubleValue()).isLessThan(1e-5);
        }
    }

    @Test
    void aCompiledTrainingStepOnOneToThreeWorkersLearnsWhatDl4jsFitLearns() {
        for (int workers = 1; workers <= 3; workers++) {
            ComputationGraph compiled = network(DataType.FLOAT, new Adam(1e-2));
            ComputationGraph reference = network(DataType.FLOAT, new Adam(1e-2));
            org.cnnkit.core.training.CompiledTrainingStep step = org.cnnkit.core.training.CompiledTrainingStep
                    .of(compiled, workers).orElseThrow();
            DataSet batch = batch(DataType.FLOAT);
            for (int i = 0; i < 4; i++) {
                reference.fit(batch);
                step.fit(batch);
            }
            assertThat(compiled.params().sub(reference.params()).amaxNumber().doubleValue())
                    .as("%d workers", workers).isLessThan(1e-5);
            assertThat(compiled.getLayer("bn").getParam("mean")).isEqualTo(reference.getLayer("bn").getParam("mean"));
            assertThat(compiled.getLayer("bn").getParam("var")).isEqualTo(reference.getLayer("bn").getParam("var"));
        }
    }

    /**
     * A first 1x1 convolution, a padded depthwise convolution with multiplier 2 and a second 1x1 convolution, each
     * followed by an inference-mode batch normalization (log standard deviation; locked gamma and beta; plain) and
     * the first two by ReLU6: the compiled step runs each pair as one convolution with scaled weights and a bias.
     */
    private static ComputationGraph normalizedConvolutions() {
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .seed(9).dataType(DataType.FLOAT).updater(new Adam(1e-2)).weightInit(WeightInit.XAVIER)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(6, 6, 3))
                .addLayer("expand", new ConvolutionLayer.Builder(1, 1).nOut(4).hasBias(false)
                        .activation(Activation.IDENTITY).build(), "in")
                .addLayer("expand_bn", InferenceModeBatchNormalization.of(new BatchNormalization.Builder().eps(EPS)
                        .useLogStd(true).build()), "expand")
                .addLayer("expand_relu", new ActivationLayer.Builder().activation(Activation.RELU6).build(),
                        "expand_bn")
                .addLayer("depthwise", new DepthwiseConvolution2D.Builder(3, 3).depthMultiplier(2).padding(1, 1)
                        .hasBias(false).activation(Activation.IDENTITY).build(), "expand_relu")
                .addLayer("depthwise_bn", InferenceModeBatchNormalization.of(new BatchNormalization.Builder()
                        .eps(EPS).useLogStd(false).lockGammaBeta(true).gamma(1.5).beta(-0.5).build()), "depthwise")
                .addLayer("depthwise_relu", new ActivationLayer.Builder().activation(Activation.RELU6).build(),
                        "depthwise_bn")
                .addLayer("project", new ConvolutionLayer.Builder(1, 1).nOut(5).hasBias(false)
                        .activation(Activation.IDENTITY).build(), "depthwise_relu")
                .addLayer("project_bn", InferenceModeBatchNormalization.of(new BatchNormalization.Builder().eps(EPS)
                        .useLogStd(false).build()), "project")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "project_bn")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "pool")
                .setOutputs("out")
                .build());
        graph.init();
        Nd4j.getRandom().setSeed(13);
        for (String name : new String[] {"expand_bn", "depthwise_bn", "project_bn"}) {
            graph.getLayer(name).paramTable().forEach((param, values) -> values.assign(switch (param) {
                case "mean", "beta" -> Nd4j.randn(DataType.FLOAT, values.shape()).muli(0.5);
                case "log10stdev" -> Nd4j.rand(DataType.FLOAT, values.shape()).muli(0.4).subi(0.2);
                default -> Nd4j.rand(DataType.FLOAT, values.shape()).addi(0.5); // var, gamma
            }));
        }
        return graph;
    }

    @Test
    void convolutionsRunWithTheirBatchNormalizationsAsOneLearnWhatDl4jsFitLearns() {
        for (int workers = 1; workers <= 2; workers++) {
            ComputationGraph compiled = normalizedConvolutions();
            ComputationGraph reference = normalizedConvolutions();
            org.cnnkit.core.training.CompiledTrainingStep step = org.cnnkit.core.training.CompiledTrainingStep
                    .of(compiled, workers).orElseThrow();
            Nd4j.getRandom().setSeed(14);
            INDArray labels = Nd4j.zeros(DataType.FLOAT, 6, 3);
            for (int i = 0; i < 6; i++) {
                labels.putScalar(i, i % 3, 1);
            }
            DataSet batch = new DataSet(Nd4j.randn(DataType.FLOAT, 6, 3, 6, 6), labels);
            INDArray start = reference.params().dup();
            for (int i = 0; i < 4; i++) {
                reference.fit(batch);
                double loss = step.fit(batch);
                assertThat(loss).isCloseTo(reference.score(), org.assertj.core.data.Offset.offset(1e-5));
            }
            assertThat(reference.params().sub(start).amaxNumber().doubleValue()).isGreaterThan(1e-3);
            for (String layer : new String[] {"expand", "expand_bn", "depthwise", "depthwise_bn", "project",
                    "project_bn", "out"}) {
                assertThat(compiled.getLayer(layer).params().sub(reference.getLayer(layer).params()).amaxNumber()
                        .doubleValue()).as("%s, %d workers", layer, workers).isLessThan(1e-5);
            }
            assertThat(compiled.getUpdater().getStateViewArray().sub(reference.getUpdater().getStateViewArray())
                    .amaxNumber().doubleValue()).as("Adam state, %d workers", workers).isLessThan(1e-6);
        }
    }

    /** A graph of one batch normalization over 3 channels. */
    private static ComputationGraph single(BatchNormalization layer) {
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .dataType(DataType.FLOAT).graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(5, 5, 3))
                .addLayer("bn", layer, "in")
                .setOutputs("bn")
                .build());
        graph.init();
        return graph;
    }

    @Test
    void itsGradientsMatchNumericalOnesForGammaBetaAndTheInput() {
        ComputationGraph graph = network(DataType.DOUBLE, new NoOp());
        DataSet batch = batch(DataType.DOUBLE);
        DataType defaultType = Nd4j.dataType();
        DataType floatType = Nd4j.defaultFloatingPointType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE); // GradientCheckUtil insists
        boolean ok;
        try {
            ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(graph)
                    .inputs(new INDArray[] {batch.getFeatures()}).labels(new INDArray[] {batch.getLabels()})
                    .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)
                    .excludeParams(Set.of("bn_mean", "bn_var")));
        } finally {
            Nd4j.setDefaultDataTypes(defaultType, floatType);
        }
        assertThat(ok).as("gradient check of conv W (through the input gradient) and bn gamma/beta").isTrue();
    }

    @Test
    void trainingLearnsGammaAndBetaAndLeavesTheRunningStatisticsAlone() {
        ComputationGraph graph = network(DataType.FLOAT, new Adam(1e-2));
        INDArray mean = graph.getLayer("bn").getParam("mean").dup();
        INDArray variance = graph.getLayer("bn").getParam("var").dup();
        INDArray gamma = graph.getLayer("bn").getParam("gamma").dup();
        INDArray beta = graph.getLayer("bn").getParam("beta").dup();
        DataSet batch = batch(DataType.FLOAT);
        for (int i = 0; i < 3; i++) {
            graph.fit(batch);
        }
        assertThat(graph.getLayer("bn").getParam("mean")).isEqualTo(mean);
        assertThat(graph.getLayer("bn").getParam("var")).isEqualTo(variance);
        assertThat(graph.getLayer("bn").getParam("gamma")).isNotEqualTo(gamma);
        assertThat(graph.getLayer("bn").getParam("beta")).isNotEqualTo(beta);
    }

    @Test
    void convertingToPlainAndBackKeepsEverySetting() {
        BatchNormalization plain = new BatchNormalization.Builder().eps(EPS).decay(0.999).useLogStd(false)
                .nOut(8).build();
        plain.setLayerName("block_14_expand_BN");
        InferenceModeBatchNormalization inference = InferenceModeBatchNormalization.of(plain);
        BatchNormalization back = inference.toPlain();
        assertThat(back.getClass()).isEqualTo(BatchNormalization.class);
        assertThat(back).isEqualTo(plain);
        assertThat(inference.getEps()).isEqualTo(EPS);
        assertThat(inference.getNOut()).isEqualTo(8);
        assertThat(inference.getLayerName()).isEqualTo("block_14_expand_BN");
    }
}
