package org.cnnkit.zoo.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import onnx.Onnx;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.zoo.ImageClassifier;
import org.cnnkit.zoo.SeedCnn;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** Exported files: metadata round trip, refused layers, and files the engine refuses (damaged, not cnnkit's). */
class OnnxExportTest {

    @TempDir
    Path folder;

    private static ImageClassifier classifier() {
        InputShape shape = new InputShape(28, 28, 1);
        return ImageClassifier.builder().setNetwork(SeedCnn.NOTEBOOK.create(shape, 3, 7))
                .setClassNames(List.of("zero", "one", "two \"quoted\"")).setInputShape(shape)
                .setPreprocessing(Preprocessing.RESCALE).build();
    }

    @Test
    void aWrittenClassifierOpensWithItsMetadataAndGivesDl4jsProbabilities() {
        ImageClassifier classifier = classifier();
        Path file = folder.resolve("digits.onnx");
        OnnxExport.of(classifier).write(file);

        try (OnnxRuntimeSession session = OnnxRuntimeSession.open(file)) {
            OnnxMetadata metadata = session.metadata();
            assertThat(metadata.classNames()).containsExactly("zero", "one", "two \"quoted\"");
            assertThat(metadata.inputShape()).isEqualTo(new InputShape(28, 28, 1));
            assertThat(metadata.preprocessing()).isEqualTo(Preprocessing.RESCALE);
            assertThat(metadata.modelName()).isEqualTo(classifier.provenance().model());
            assertThat(metadata.cnnkitVersion()).isNotBlank();
            INDArray batch = Nd4j.rand(DataType.FLOAT, 3, 1, 28, 28);
            INDArray expected = classifier.network().outputSingle(false, batch.dup());
            assertThat(session.output(batch).sub(expected).amaxNumber().doubleValue()).isLessThan(1e-5);
        }
    }

    @Test
    void theModelDeclaresOpset13AndANchwInputOfAnyBatchSize() {
        Onnx.ModelProto model = OnnxExport.of(classifier()).model();
        assertThat(model.getOpsetImport(0).getVersion()).isEqualTo(OnnxExport.OPSET);
        Onnx.TensorShapeProto shape = model.getGraph().getInput(0).getType().getTensorType().getShape();
        assertThat(shape.getDim(0).getDimParam()).isEqualTo("batch");
        assertThat(List.of(shape.getDim(1).getDimValue(), shape.getDim(2).getDimValue(), shape.getDim(3).getDimValue()))
                .containsExactly(1L, 28L, 28L);
        assertThat(model.getMetadataPropsList()).anyMatch(p -> p.getKey().equals(OnnxMetadata.FORMAT_KEY));
    }

    @Test
    void aLayerTheExporterDoesNotKnowIsNamedWithItsType() {
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder().graphBuilder()
                .addInputs("in").setInputTypes(InputType.convolutional(8, 8, 1))
                .addLayer("avgpool", new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(2, 2).stride(2, 2)
                        .build(), "in")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2)
                        .activation(Activation.SOFTMAX).build(), "avgpool")
                .setOutputs("out").build());
        graph.init();

        assertThatThrownBy(() -> OnnxExport.builder().setNetwork(graph).setInputShape(new InputShape(8, 8, 1))
                .setPreprocessing(Preprocessing.NONE).build())
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining("'avgpool'").hasMessageContaining("SubsamplingLayer")
                .hasMessageContaining("AVG pooling is not supported");
    }

    @Test
    void anOnnxModelCnnkitDidNotExportIsRefused() throws Exception {
        Onnx.ModelProto foreign = OnnxExport.of(classifier()).model().toBuilder().clearMetadataProps().build();
        Path file = folder.resolve("foreign.onnx");
        Files.write(file, foreign.toByteArray());

        assertThatThrownBy(() -> OnnxRuntimeSession.open(file)).isInstanceOf(CnnkitException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("not one cnnkit exported");
    }

    @Test
    void aDamagedFileIsRefused() throws Exception {
        Path whole = folder.resolve("whole.onnx");
        OnnxExport.of(classifier()).write(whole);
        byte[] bytes = Files.readAllBytes(whole);
        Path truncated = folder.resolve("truncated.onnx");
        Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        Path text = folder.resolve("text.onnx");
        Files.writeString(text, "this is not a model");

        for (Path file : List.of(truncated, text)) {
            assertThatThrownBy(() -> OnnxRuntimeSession.open(file)).isInstanceOf(CnnkitException.class)
                    .hasMessageContaining(file.toString()).hasMessageContaining("damaged");
        }
        assertThatThrownBy(() -> OnnxRuntimeSession.open(folder.resolve("missing.onnx")))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("does not exist");
    }
}
