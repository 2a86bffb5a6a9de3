package org.cnnkit.zoo;

import static org.assertj.core.api.Assertions.assertThat;

import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ReusedOutputTest {

    private static final InputShape SHAPE = InputShape.rgb(32);

    private static INDArray batch(int rows, long seed) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.rand(DataType.FLOAT, rows, SHAPE.channels(), SHAPE.height(), SHAPE.width());
    }

    @ParameterizedTest
    @EnumSource(InferenceEngine.class)
    void batchesOfTheFirstSizeGoIntoOneArrayWithTheSameOutputsAsNewArrays(InferenceEngine engine) {
        ComputationGraph network = SeedCnn.NOTEBOOK.create(SHAPE, 4, 1);
        try (InferenceSession session = engine.open(network, SHAPE, Preprocessing.NONE)) {
            ReusedOutput outputs = new ReusedOutput(session);
            INDArray first = outputs.output(batch(6, 1));
            float[][] firstValues = first.toFloatMatrix();
            assertThat(firstValues).isEqualTo(session.output(batch(6, 1)).toFloatMatrix());

            INDArray second = outputs.output(batch(6, 2));
            assertThat(second).isSameAs(first);
            assertThat(second.toFloatMatrix()).isEqualTo(session.output(batch(6, 2)).toFloatMatrix())
                    .isNotEqualTo(firstValues);

            INDArray shorter = outputs.output(batch(2, 3));
            assertThat(shorter).isNotSameAs(first);
            assertThat(shorter.toFloatMatrix()).isEqualTo(session.output(batch(2, 3)).toFloatMatrix());
            assertThat(outputs.output(batch(6, 4))).isSameAs(first);
        }
    }
}
