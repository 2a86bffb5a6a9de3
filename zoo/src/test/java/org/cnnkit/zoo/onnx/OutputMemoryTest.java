package org.cnnkit.zoo.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;

/** Reading output floats where ONNX Runtime keeps them, without the heap copy of {@code getFloatBuffer()}. */
class OutputMemoryTest {

    @Test
    void onTheClassPathTheTensorsNativeMemoryIsReadWithoutAHeapCopy() throws Exception {
        assertThat(OutputMemory.readsNativeMemory()).isTrue();
        float[] values = {1.5f, -2f, 3.25f, 0f, 7f, -0.125f};
        try (OnnxTensor tensor = OnnxTensor.createTensor(OrtEnvironment.getEnvironment(), FloatBuffer.wrap(values),
                new long[] {2, 3})) {
            FloatBuffer floats = OutputMemory.floats(tensor);
            assertThat(floats.isDirect()).isTrue();
            float[] read = new float[floats.remaining()];
            floats.get(read);
            assertThat(read).containsExactly(values);
        }
    }
}
