package org.cnnkit.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNBatchNormHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class NativeRuntimeTest {

    private static ComputationGraph network() {
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(1)
                .dataType(DataType.FLOAT).graphBuilder().addInputs("in")
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build(), "in")
                .addLayer("bn", new BatchNormalization.Builder().build(), "conv")
                .addLayer("locked", new BatchNormalization.Builder().lockGammaBeta(true).build(), "bn")
                .addLayer("dw", new DepthwiseConvolution2D.Builder(3, 3).convolutionMode(ConvolutionMode.Same).build(),
                        "locked")
                .addLayer("pool", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build(),
                        "dw")
                .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "pool")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2)
                        .activation(Activation.SOFTMAX).build(), "gap")
                .setOutputs("out").setInputTypes(InputType.convolutional(12, 12, 3)).build());
        graph.init();
        return graph;
    }

    @Test
    void fastPathsAreOnByDefaultWithTheOneDnnBuild() {
        NativeRuntime.ensureConfigured();
        assertThat(NativeRuntime.fastPathsEnabled()).isTrue();
        assertThat(NativeRuntime.describe()).contains("oneDNN yes").contains("fast layer paths on");
    }

    @Test
    void accelerateGivesConvolutionAndBatchNormTheirOneDnnHelpersOnly() {
        ComputationGraph graph = NativeRuntime.accelerate(network());

        assertThat(graph.getLayer("conv").getHelper()).isInstanceOf(MKLDNNConvHelper.class);
        assertThat(graph.getLayer("bn").getHelper()).isInstanceOf(MKLDNNBatchNormHelper.class);
        assertThat(graph.getLayer("locked").getHelper()).as("lockGammaBeta is not supported by the helper").isNull();
        assertThat(graph.getLayer("dw").getHelper()).isNull();
        assertThat(graph.getLayer("pool").getHelper()).as("pooling keeps its built-in native op").isNull();
    }

    @Test
    void accelerateIsIdempotent() {
        ComputationGraph graph = NativeRuntime.accelerate(network());
        Object helper = graph.getLayer("conv").getHelper();

        NativeRuntime.accelerate(graph);

        assertThat(graph.getLayer("conv").getHelper()).isSameAs(helper);
        assertThat(FastLayerPaths.install(graph.getLayers())).isZero();
    }

    @Test
    void frozenLayersGetTheHelperOfTheLayerTheyWrap() {
        ComputationGraph frozen = new TransferLearning.GraphBuilder(network()).setFeatureExtractor("bn").build();
        NativeRuntime.accelerate(frozen);

        assertThat(frozen.getLayer("conv").getHelper()).isInstanceOf(MKLDNNConvHelper.class);
        assertThat(frozen.getLayer("bn").getHelper()).isInstanceOf(MKLDNNBatchNormHelper.class);
    }

    @Test
    void uninitializedNetworksAreRefused() {
        ComputationGraph graph = new ComputationGraph(network().getConfiguration());
        assertThatThrownBy(() -> NativeRuntime.accelerate(graph))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("init()");
    }

    @Test
    void onlyFalseTurnsTheFastPathsOff() {
        assertThat(FastLayerPaths.wantedByProperty(null)).isTrue();
        assertThat(FastLayerPaths.wantedByProperty("true")).isTrue();
        assertThat(FastLayerPaths.wantedByProperty("")).isTrue();
        assertThat(FastLayerPaths.wantedByProperty("false")).isFalse();
        assertThat(FastLayerPaths.wantedByProperty(" FALSE ")).isFalse();
    }

    @Test
    void blasRunsOnOneThreadDuringTheWorkAndGetsItsThreadsBackAfterEvenWhenTheWorkFails() {
        NativeRuntime.ensureConfigured();
        org.nd4j.linalg.api.blas.Blas blas = org.nd4j.linalg.factory.Nd4j.factory().blas();
        int before = blas.getMaxThreads();
        blas.setMaxThreads(2);
        try {
            int[] during = new int[1];
            NativeRuntime.runWithOneBlasThread(() -> during[0] = blas.getMaxThreads());
            assertThat(during[0]).isEqualTo(1);
            assertThat(blas.getMaxThreads()).isEqualTo(2);
            assertThatThrownBy(() -> NativeRuntime.runWithOneBlasThread(() -> {
                throw new IllegalStateException("boom");
            })).hasMessage("boom");
            assertThat(blas.getMaxThreads()).isEqualTo(2);
        } finally {
            blas.setMaxThreads(before);
        }
    }

    @Test
    void overlappingRunsKeepBlasOnOneThreadUntilTheLastEndsAndThenGiveBackTheCountFromBeforeTheFirst()
            throws Exception {
        NativeRuntime.ensureConfigured();
        org.nd4j.linalg.api.blas.Blas blas = org.nd4j.linalg.factory.Nd4j.factory().blas();
        int before = blas.getMaxThreads();
        blas.setMaxThreads(2);
        try {
            java.util.concurrent.CountDownLatch firstStarted = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch firstMayEnd = new java.util.concurrent.CountDownLatch(1);
            Thread first = new Thread(() -> NativeRuntime.runWithOneBlasThread(() -> {
                firstStarted.countDown();
                try {
                    firstMayEnd.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
            first.start();
            firstStarted.await();
            int[] inSecondAfterFirstEnded = new int[1];
            NativeRuntime.runWithOneBlasThread(() -> {
                firstMayEnd.countDown();
                try {
                    first.join(10_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                inSecondAfterFirstEnded[0] = blas.getMaxThreads();
            });

            assertThat(first.isAlive()).isFalse();
            assertThat(inSecondAfterFirstEnded[0]).isEqualTo(1);
            assertThat(blas.getMaxThreads()).isEqualTo(2);
        } finally {
            blas.setMaxThreads(before);
        }
    }
}
