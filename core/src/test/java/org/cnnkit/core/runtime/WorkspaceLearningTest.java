package org.cnnkit.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class WorkspaceLearningTest {

    private static WorkspaceConfiguration setting(Class<?> type, Object network, String name) throws Exception {
        Field field = type.getDeclaredField(name);
        field.setAccessible(true);
        return (WorkspaceConfiguration) field.get(network);
    }

    private static ComputationGraph graph() {
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(1)
                .dataType(DataType.FLOAT).graphBuilder().addInputs("in")
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build(), "in")
                .addLayer("dense", new DenseLayer.Builder().nOut(8).activation(Activation.TANH).build(), "conv")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2)
                        .activation(Activation.SOFTMAX).build(), "dense")
                .setOutputs("out").setInputTypes(InputType.convolutional(8, 8, 1)).build());
        graph.init();
        return graph;
    }

    @Test
    void acceleratedGraphsLearnTheirWorkspacesInAFewCyclesAndComputeTheSame() throws Exception {
        ComputationGraph plain = graph();
        int dl4jCycles = setting(ComputationGraph.class, plain, "WS_LAYER_WORKING_MEM_CONFIG")
                .getCyclesBeforeInitialization();
        ComputationGraph accelerated = NativeRuntime.accelerate(graph());

        assertThat(dl4jCycles).isEqualTo(2 * plain.getConfiguration().getVertices().size());
        for (String name : new String[] {"WS_LAYER_WORKING_MEM_CONFIG", "WS_LAYER_ACT_X_CONFIG"}) {
            assertThat(setting(ComputationGraph.class, accelerated, name).getCyclesBeforeInitialization())
                    .as(name).isEqualTo(WorkspaceLearning.LEARNING_CYCLES);
        }
        // Many passes, through the learning and past it, give the plain graph's answers.
        INDArray x = Nd4j.rand(DataType.FLOAT, 5, 1, 8, 8);
        INDArray expected = plain.outputSingle(false, x);
        for (int pass = 0; pass < 30; pass++) {
            assertThat(accelerated.outputSingle(false, x).equalsWithEps(expected, 1e-5)).as("pass %d", pass).isTrue();
        }
    }

    @Test
    void multiLayerNetworksGetTheSameSettings() throws Exception {
        MultiLayerNetwork network = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1).list()
                .layer(new DenseLayer.Builder().nIn(4).nOut(3).build())
                .layer(new OutputLayer.Builder().nIn(3).nOut(2).activation(Activation.SOFTMAX).build()).build());
        network.init();

        NativeRuntime.accelerate(network);

        assertThat(setting(MultiLayerNetwork.class, network, "WS_LAYER_ACT_X_CONFIG").getCyclesBeforeInitialization())
                .isEqualTo(WorkspaceLearning.LEARNING_CYCLES);
    }
}
