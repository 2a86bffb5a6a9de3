package org.cnnkit.zoo;

import static org.assertj.core.api.Assertions.assertThat;

import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.runtime.ParallelInference;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every network of the zoo, as cnnkit runs it for inference ({@link ParallelInference}), is compiled into an
 * inference plan rather than falling back to DL4J's forward pass, and gives DL4J's own outputs.
 */
class ZooNetworksCompiledInferenceTest {

    private static final int SIZE = 48;

    private static void assertCompiledWithTheGraphsOutputs(ComputationGraph graph, String what) {
        assertCompiledWithTheGraphsOutputs(graph, SIZE, what);
    }

    private static void assertCompiledWithTheGraphsOutputs(ComputationGraph graph, int size, String what) {
        Nd4j.getRandom().setSeed(9);
        INDArray batch = Nd4j.rand(DataType.FLOAT, 5, 3, size, size).muli(2).subi(1);
        ParallelInference inference = ParallelInference.of(graph, 2, 2);

        INDArray[] actual = inference.output(batch);
        INDArray[] expected = graph.output(false, batch);

        assertThat(inference.usesCompiledPlans()).as(what + " uses a compiled plan").isTrue();
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i].shape()).as(what).isEqualTo(expected[i].shape());
            double scale = Math.max(1e-12, expected[i].amaxNumber().doubleValue());
            assertThat(actual[i].sub(expected[i]).amaxNumber().doubleValue() / scale).as(what).isLessThan(1e-4);
        }
    }

    /** MobileNetV2 (alpha 0.35) with batch-normalization statistics away from 0/1. */
    private static final MobileNetV2 MOBILENET = MobileNetV2.builder().optAlpha(0.35)
            .setInputShape(InputShape.rgb(SIZE)).build();

    private static ComputationGraph mobileNetV2() {
        ComputationGraph graph = MOBILENET.newGraph();
        Nd4j.getRandom().setSeed(4);
        for (Layer layer : graph.getLayers()) {
            if (layer.conf().getLayer() instanceof BatchNormalization) {
                layer.getParam("mean").assign(Nd4j.randn(layer.getParam("mean").shape()).muli(0.2));
                layer.getParam("var").assign(Nd4j.rand(layer.getParam("var").shape()).addi(0.3));
            }
        }
        return graph;
    }

    @Test
    void theNotebooksCnnsRunCompiled() {
        assertCompiledWithTheGraphsOutputs(SeedCnn.NOTEBOOK.create(InputShape.rgb(SIZE), 3, 1), "notebook CNN");
        assertCompiledWithTheGraphsOutputs(SeedCnn.DEEPER.create(InputShape.rgb(SIZE), 3, 1), "deeper CNN");
    }

    @Test
    void mobileNetV2RunsCompiledAsBuiltFoldedAndAsATransferClassifier() {
        ComputationGraph graph = mobileNetV2();
        assertCompiledWithTheGraphsOutputs(graph, "MobileNetV2");
        assertCompiledWithTheGraphsOutputs(InferenceFolding.fold(graph, InputShape.rgb(SIZE)), "folded MobileNetV2");
        assertCompiledWithTheGraphsOutputs(InferenceFolding.fold(MobileNetV2.withGlobalAveragePooling(graph),
                InputShape.rgb(SIZE)), "folded pooled MobileNetV2");
        ComputationGraph classifier = TransferNetworks.classifier(graph, MobileNetV2.OUTPUT_NAME,
                MOBILENET.outputChannels(), 16, 3, 1e-3, 1, null);
        assertCompiledWithTheGraphsOutputs(classifier, "transfer classifier with a frozen base");
    }

    @Test
    void vgg16RunsCompiledInBothLayouts() {
        assertCompiledWithTheGraphsOutputs(Vgg16.builder().optInputSize(64).optFeaturesOnly(true)
                .optChannelsLast(true).build(), 64, "VGG16 fc2, channels-last");
        assertCompiledWithTheGraphsOutputs(Vgg16.builder().optInputSize(64).optFeaturesOnly(true).build(), 64,
                "VGG16 fc2, NCHW");
    }
}
