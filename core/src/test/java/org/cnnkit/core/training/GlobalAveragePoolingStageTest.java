package org.cnnkit.core.training;

import static org.assertj.core.api.Assertions.assertThat;

import org.cnnkit.core.runtime.NativeRuntime;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class GlobalAveragePoolingStageTest {

    @BeforeAll
    static void configure() {
        NativeRuntime.ensureConfigured();
    }

    @Test
    void contiguousArraysReusedAcrossStepsGiveEachStepsMeanAndGradient() {
        GlobalAveragePoolingStage stage = new GlobalAveragePoolingStage("gap", false);
        INDArray input = Nd4j.create(DataType.FLOAT, 2, 3, 4, 5);
        INDArray outputGradient = Nd4j.create(DataType.FLOAT, 2, 3);
        for (int step = 0; step < 3; step++) {
            // the same arrays with new values, as a previous stage's buffers are from step to step
            input.assign(Nd4j.rand(DataType.FLOAT, 2, 3, 4, 5));
            outputGradient.assign(Nd4j.rand(DataType.FLOAT, 2, 3));
            assertStep(stage, input, outputGradient);
        }
    }

    @Test
    void nonContiguousArraysGiveEachStepsMeanAndGradient() {
        GlobalAveragePoolingStage stage = new GlobalAveragePoolingStage("gap", false);
        INDArray input = Nd4j.create(DataType.FLOAT, new long[] {2, 3, 4, 5}, 'f');
        INDArray outputGradient = Nd4j.create(DataType.FLOAT, 3, 2).transpose();
        for (int step = 0; step < 3; step++) {
            input.assign(Nd4j.rand(DataType.FLOAT, 2, 3, 4, 5));
            outputGradient.assign(Nd4j.rand(DataType.FLOAT, 2, 3));
            assertStep(stage, input, outputGradient);
        }
    }

    private static void assertStep(GlobalAveragePoolingStage stage, INDArray input, INDArray outputGradient) {
        INDArray output = stage.forward(input);
        assertThat(output.equalsWithEps(input.mean(2, 3), 1e-6)).as("mean of %s", input).isTrue();
        INDArray expected = Nd4j.create(DataType.FLOAT, input.shape());
        for (int n = 0; n < input.size(0); n++) {
            for (int c = 0; c < input.size(1); c++) {
                expected.get(NDArrayIndex.point(n),
                        NDArrayIndex.point(c)).assign(outputGradient.getDouble(n, c) / 20.0);
            }
        }
        assertThat(stage.backward(outputGradient).equalsWithEps(expected, 1e-6)).as("gradient").isTrue();
    }
}
