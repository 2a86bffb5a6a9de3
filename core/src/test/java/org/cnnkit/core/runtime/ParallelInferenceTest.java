package org.cnnkit.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.cnnkit.core.CnnkitException;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class ParallelInferenceTest {

    /** Convolution, batch normalization with non-trivial running statistics, depthwise convolution, pooling, softmax. */
    private static ComputationGraph smallGraph() {
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(7).updater(new Adam(1e-2))
                .dataType(DataType.FLOAT).graphBuilder().addInputs("in")
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nOut(6).activation(Activation.RELU).build(), "in")
                .addLayer("bn", new BatchNormalization.Builder().build(), "conv")
                .addLayer("dw", new DepthwiseConvolution2D.Builder(3, 3).depthMultiplier(1)
                        .activation(Activation.RELU6).build(), "bn")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "dw")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "pool")
                .setOutputs("out").setInputTypes(InputType.convolutional(12, 12, 3)).build());
        graph.init();
        // Training moves the batch-normalization statistics away from 0/1, so that inference mode matters.
        Nd4j.getRandom().setSeed(1);
        INDArray x = Nd4j.rand(DataType.FLOAT, 16, 3, 12, 12).muli(3).addi(1);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 16, 3);
        for (int i = 0; i < 16; i++) {
            y.putScalar(i, i % 3, 1f);
        }
        for (int i = 0; i < 5; i++) {
            graph.fit(new org.nd4j.linalg.dataset.DataSet(x, y));
        }
        return NativeRuntime.accelerate(graph);
    }

    @Test
    void splitBatchesGiveTheGraphsOwnOutputsInOrder() {
        ComputationGraph graph = smallGraph();
        INDArray batch = Nd4j.rand(DataType.FLOAT, 7, 3, 12, 12).muli(3);
        INDArray expected = graph.outputSingle(false, batch);

        INDArray actual = ParallelInference.of(graph, 3).outputSingle(batch);

        assertThat(actual.shape()).containsExactly(7, 3);
        assertThat(actual.equalsWithEps(expected, 1e-5)).as("%s vs %s", actual, expected).isTrue();
    }

    @Test
    void aCapOnImagesPerCallCutsTheBatchIntoMorePiecesWithTheSameOutputs() {
        ComputationGraph graph = smallGraph();
        INDArray batch = Nd4j.rand(DataType.FLOAT, 7, 3, 12, 12).muli(3);
        INDArray expected = graph.outputSingle(false, batch);

        assertThat(ParallelInference.of(graph, 2, 2).outputSingle(batch).equalsWithEps(expected, 1e-5)).isTrue();
        assertThat(ParallelInference.of(graph, 1, 3).outputSingle(batch).equalsWithEps(expected, 1e-5)).isTrue();
        assertThatThrownBy(() -> ParallelInference.of(graph, 2, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxRowsPerCall");
    }

    @Test
    void fewerWorkersThanPiecesRunThePiecesInTurnWithTheSameOutputsInOrder() {
        ComputationGraph graph = smallGraph();
        INDArray batch = Nd4j.rand(DataType.FLOAT, 7, 3, 12, 12).muli(3);
        INDArray expected = graph.outputSingle(false, batch);
        ParallelInference inference = ParallelInference.of(graph, 3, 2); // 4 pieces: 2, 2, 2, 1

        for (int maxWorkers = 1; maxWorkers <= 4; maxWorkers++) {
            INDArray actual = inference.outputSingle(batch, maxWorkers);
            assertThat(actual.shape()).containsExactly(7, 3);
            assertThat(actual.equalsWithEps(expected, 1e-5)).as("at most %d workers", maxWorkers).isTrue();
        }
        INDArray one = batch.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 1));
        assertThat(inference.outputSingle(one, 1).equalsWithEps(graph.outputSingle(false, one), 1e-5)).isTrue();
        assertThatThrownBy(() -> inference.outputSingle(batch, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxWorkers");
    }

    @Test
    void largeImagesAreRunAFewPerCallByDefault() {
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(2)
                .dataType(DataType.FLOAT).graphBuilder().addInputs("in")
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).stride(4, 4).nOut(2).build(), "in")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.MAX).build(), "conv")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2)
                        .activation(Activation.SOFTMAX).build(), "pool")
                .setOutputs("out").setInputTypes(InputType.convolutional(300, 300, 3)).build());
        graph.init();
        // 300x300 images: 2 per call by default (4 x 224 x 224 pixels), so 5 images make 3 calls.
        INDArray batch = Nd4j.rand(DataType.FLOAT, 5, 3, 300, 300);
        ParallelInference inference = ParallelInference.of(graph, 2);

        assertThat(inference.rowsPerCall(batch)).isEqualTo(2);
        assertThat(inference.rowsPerCall(Nd4j.create(DataType.FLOAT, 1, 3, 224, 224))).isEqualTo(4);
        assertThat(inference.rowsPerCall(Nd4j.create(DataType.FLOAT, 1, 3, 100, 100))).isEqualTo(20);
        assertThat(ParallelInference.of(graph, 2, 7).rowsPerCall(batch)).isEqualTo(7);
        assertThat(inference.outputSingle(batch).equalsWithEps(graph.outputSingle(false, batch), 1e-5)).isTrue();
    }

    @Test
    void replicasSeeParameterChangesMadeToTheGraphInPlace() {
        ComputationGraph graph = smallGraph();
        ParallelInference inference = ParallelInference.of(graph, 2);
        INDArray batch = Nd4j.rand(DataType.FLOAT, 4, 3, 12, 12);
        INDArray before = inference.outputSingle(batch);

        graph.params().muli(1.5); // in place, as training updates do
        INDArray after = inference.outputSingle(batch);

        assertThat(after.equalsWithEps(before, 1e-3)).isFalse();
        assertThat(after.equalsWithEps(graph.outputSingle(false, batch), 1e-5)).isTrue();
    }

    @Test
    void concurrentCallersEachGetTheirOwnAnswers() throws Exception {
        ComputationGraph graph = smallGraph();
        ParallelInference inference = ParallelInference.of(graph, 2);
        List<INDArray> batches = new ArrayList<>();
        List<INDArray> expected = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            INDArray batch = Nd4j.rand(DataType.FLOAT, 5, 3, 12, 12).muli(i + 1);
            batches.add(batch);
            expected.add(graph.outputSingle(false, batch));
        }
        ExecutorService callers = Executors.newFixedThreadPool(3);
        try {
            List<Future<INDArray>> answers = new ArrayList<>();
            for (int round = 0; round < 4; round++) {
                for (INDArray batch : batches) {
                    answers.add(callers.submit(() -> inference.outputSingle(batch)));
                }
            }
            for (int i = 0; i < answers.size(); i++) {
                assertThat(answers.get(i).get().equalsWithEps(expected.get(i % batches.size()), 1e-5))
                        .as("answer %d", i).isTrue();
            }
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void aSingleImageRunsOnTheCallingThreadThroughTheGraph() {
        ComputationGraph graph = smallGraph();
        INDArray one = Nd4j.rand(DataType.FLOAT, 1, 3, 12, 12);

        assertThat(ParallelInference.of(graph).outputSingle(one).equalsWithEps(graph.outputSingle(false, one), 1e-6))
                .isTrue();
    }

    @Test
    void uninitializedGraphsAreRefusedWithAClearMessage() {
        ComputationGraph graph = new ComputationGraph(smallGraph().getConfiguration().clone());

        assertThatThrownBy(() -> ParallelInference.of(graph)).isInstanceOf(CnnkitException.class)
                .hasMessageContaining("init()");
    }
}
