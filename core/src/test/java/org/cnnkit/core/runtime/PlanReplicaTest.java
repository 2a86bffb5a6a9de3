package org.cnnkit.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class PlanReplicaTest {

    @Test
    void eachBatchSizeGetsItsOwnPlanAndOnlyTheMostRecentAreKept() {
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(1)
                .dataType(DataType.FLOAT).graphBuilder().addInputs("in")
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build(), "in")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "conv")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2)
                        .activation(Activation.SOFTMAX).build(), "pool")
                .setOutputs("out").setInputTypes(InputType.convolutional(9, 9, 3)).build());
        graph.init();
        PlanReplica replica = new PlanReplica(graph);

        for (int rows : new int[] {4, 3, 4, 1, 3, 4, 5, 6, 2, 4}) {
            INDArray batch = Nd4j.rand(DataType.FLOAT, rows, 3, 9, 9);
            INDArray output = replica.output(batch)[0];
            assertThat(output.equalsWithEps(graph.outputSingle(false, batch), 1e-5)).as("%d rows", rows).isTrue();
            assertThat(replica.cachedPlans()).isLessThanOrEqualTo(PlanReplica.PLANS_KEPT);
        }
        assertThat(replica.cachedPlans()).isEqualTo(PlanReplica.PLANS_KEPT);
    }
}
