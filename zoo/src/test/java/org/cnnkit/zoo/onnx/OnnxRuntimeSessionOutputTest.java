package org.cnnkit.zoo.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import onnx.Onnx;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.zoo.IdleThreads;
import org.cnnkit.zoo.InferenceEngine;
import org.cnnkit.zoo.InferenceSession;
import org.cnnkit.zoo.SeedCnn;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Writing outputs into an array the caller reuses, on both engines; ONNX Runtime writes into it directly (a pinned
 * output) or, when the model leaves the output's size free, its output is copied.
 */
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
    void aModelWhoseOutputSizeIsNotFixedGetsTheSameOutputsCopiedFromOnnxRuntime(@TempDir Path dir) throws IOException {
        ComputationGraph network = SeedCnn.NOTEBOOK.create(SHAPE, 3, 7);
        OnnxExport export = OnnxExport.builder().setNetwork(network).setInputShape(SHAPE)
                .setPreprocessing(Preprocessing.NONE).build();
        Path fixed = dir.resolve("fixed.onnx");
        export.write(fixed);
        // the same model with its output declared [batch, classes] where classes is a free dimension
        Onnx.ModelProto.Builder model = export.model().toBuilder();
        Onnx.ValueInfoProto.Builder output = model.getGraphBuilder().getOutputBuilder(0);
        output.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder().getDimBuilder(1).clearDimValue()
                .setDimParam("classes");
        Path free = dir.resolve("free.onnx");
        try (OutputStream out = Files.newOutputStream(free)) {
            model.build().writeTo(out);
        }
        try (OnnxRuntimeSession pinned = OnnxRuntimeSession.open(fixed);
                OnnxRuntimeSession copied = OnnxRuntimeSession.open(free)) {
            INDArray into = Nd4j.createUninitialized(DataType.FLOAT, 5, 3);
            for (int batch = 0; batch < 2; batch++) {
                INDArray images = Nd4j.rand(DataType.FLOAT, 5, 1, 28, 28);
                INDArray expected = network.outputSingle(false, images.dup());
                assertThat(copied.output(images, into)).isSameAs(into);
                assertThat(into.sub(expected).amaxNumber().doubleValue()).isLessThan(1e-5);
                assertThat(copied.output(images).sub(expected).amaxNumber().doubleValue()).isLessThan(1e-5);
                assertThat(pinned.output(images).sub(expected).amaxNumber().doubleValue()).isLessThan(1e-5);
            }
            assertThatThrownBy(() -> copied.output(Nd4j.rand(DataType.FLOAT, 4, 1, 28, 28), into))
                    .isInstanceOf(CnnkitException.class).hasMessageContaining("[5, 3]").hasMessageContaining("[4, 3]");
        }
    }

    @Test
    void floatBuffersRunOnASpinningSessionGiveWhatArraysGiveOnASleepingOne(@TempDir Path dir) {
        ComputationGraph network = SeedCnn.NOTEBOOK.create(SHAPE, 3, 7);
        Path file = dir.resolve("cnn.onnx");
        OnnxExport.builder().setNetwork(network).setInputShape(SHAPE).setPreprocessing(Preprocessing.NONE).build()
                .write(file);
        try (OnnxRuntimeSession spinning = OnnxRuntimeSession.open(file, IdleThreads.SPIN);
                OnnxRuntimeSession sleeping = OnnxRuntimeSession.open(file, IdleThreads.SLEEP)) {
            long[] shape = {4, 1, 28, 28};
            assertThat(spinning.outputShape(4)).containsExactly(4, 3);
            FloatBuffer into = ByteBuffer.allocateDirect(12 * Float.BYTES).order(ByteOrder.nativeOrder())
                    .asFloatBuffer();
            for (int batch = 0; batch < 2; batch++) {
                INDArray images = Nd4j.rand(DataType.FLOAT, shape);
                float[] expected = sleeping.output(images).data().asFloat();
                FloatBuffer direct = ByteBuffer.allocateDirect(784 * 4 * Float.BYTES).order(ByteOrder.nativeOrder())
                        .asFloatBuffer().put(images.data().asFloat()).flip();
                spinning.run(direct, shape, into);
                float[] got = new float[12];
                into.get(0, got);
                assertThat(got).containsExactly(expected, within(1e-6f));
                // a heap buffer is copied by ONNX Runtime, with the same result
                spinning.run(FloatBuffer.wrap(images.data().asFloat()), shape, into);
                into.get(0, got);
                assertThat(got).containsExactly(expected, within(1e-6f));
            }
        }
    }

    @Test
    void aFloatBufferOfTheWrongSizeOrAHeapOutputIsRefused(@TempDir Path dir) {
        Path file = dir.resolve("cnn.onnx");
        OnnxExport.builder().setNetwork(SeedCnn.NOTEBOOK.create(SHAPE, 3, 7)).setInputShape(SHAPE)
                .setPreprocessing(Preprocessing.NONE).build().write(file);
        try (OnnxRuntimeSession session = OnnxRuntimeSession.open(file, IdleThreads.SPIN)) {
            long[] shape = {2, 1, 28, 28};
            FloatBuffer images = FloatBuffer.allocate(2 * 784);
            FloatBuffer direct = ByteBuffer.allocateDirect(6 * Float.BYTES).order(ByteOrder.nativeOrder())
                    .asFloatBuffer();
            assertThatThrownBy(() -> session.run(FloatBuffer.allocate(784), shape, direct))
                    .isInstanceOf(CnnkitException.class).hasMessageContaining("784").hasMessageContaining("[2, 1, 28, 28]");
            assertThatThrownBy(() -> session.run(images, shape, FloatBuffer.allocate(6)))
                    .isInstanceOf(CnnkitException.class).hasMessageContaining("direct buffer in native order");
            assertThatThrownBy(() -> session.run(images, shape, direct.slice(0, 5)))
                    .isInstanceOf(CnnkitException.class).hasMessageContaining("holding 6 floats");
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
