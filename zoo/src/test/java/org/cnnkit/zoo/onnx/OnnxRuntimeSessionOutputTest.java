package org.cnnkit.zoo.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.zoo.InferenceEngine;
import org.cnnkit.zoo.InferenceSession;
import org.cnnkit.zoo.SeedCnn;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Writing outputs into an array the caller reuses, on both engines. */
class OnnxRuntimeSessionOutputTest {

    private static final InputShape SHAPE = new InputShape(28, 28, 1);

    @Test
    void bothEnginesWriteIntoAReusedArrayWhatTheyReturnOtherwise() {
        ComputationGraph network = SeedCnn.NOTEBOOK.create(SHAPE, 3, 7);
        for (InferenceEngine engine : InferenceEngine.values()) {
            try (InferenceSession session = engine.open(network, SHAPE, Preprocessing.NONE)) {
                INDArray into = Nd4j.createUninitialized(DataType.FLOAT, 4, 3);
                for (int batch = 0; batch < 2; batch++) {
                    INDArray images = Nd4j.rand(DataType.FLOAT, 4, 1, 28, 28);
                    INDArray expected = session.output(images);
                    assertThat(session.output(images, into)).isSameAs(into);
                    assertThat(into.sub(expected).amaxNumber().doubleValue()).as(engine.id()).isLessThan(1e-6);
                }
            }
        }
    }

    @Test
    void anArrayOfAnotherShapeIsRefusedWithBothShapes() {
        try (InferenceSession session = InferenceEngine.ONNX_RUNTIME.open(SeedCnn.NOTEBOOK.create(SHAPE, 3, 7), SHAPE,
                Preprocessing.NONE)) {
            assertThatThrownBy(() -> session.output(Nd4j.rand(DataType.FLOAT, 4, 1, 28, 28),
                    Nd4j.createUninitialized(DataType.FLOAT, 5, 3)))
                    .isInstanceOf(CnnkitException.class).hasMessageContaining("[5, 3]").hasMessageContaining("[4, 3]");
        }
    }
}
