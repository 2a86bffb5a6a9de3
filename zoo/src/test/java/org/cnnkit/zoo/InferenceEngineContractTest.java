package org.cnnkit.zoo;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Every network of the zoo gives the same outputs on both inference engines (within 1e-4 of the output's largest
 * magnitude) as DL4J's own forward pass: the notebook CNNs, MobileNetV2 as built, folded, folded channels-last with
 * pooling (the extractor's graph), the transfer classifier with its frozen base, and VGG16 up to fc2 in both layouts.
 * ONNX Runtime runs the network exported by {@code OnnxExport}.
 */
class InferenceEngineContractTest {

    private static final int SIZE = 48;

    record Network(String name, ComputationGraph graph, InputShape shape) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** MobileNetV2 (alpha 0.35) with batch-normalization statistics away from 0/1. */
    private static ComputationGraph mobileNetV2(MobileNetV2 architecture) {
        ComputationGraph graph = architecture.newGraph();
        Nd4j.getRandom().setSeed(4);
        for (Layer layer : graph.getLayers()) {
            if (layer.conf().getLayer() instanceof BatchNormalization) {
                layer.getParam("mean").assign(Nd4j.randn(layer.getParam("mean").shape()).muli(0.2));
                layer.getParam("var").assign(Nd4j.rand(layer.getParam("var").shape()).addi(0.3));
                layer.getParam("gamma").assign(Nd4j.rand(layer.getParam("gamma").shape()).addi(0.5));
                layer.getParam("beta").assign(Nd4j.randn(layer.getParam("beta").shape()).muli(0.1));
            }
        }
        return graph;
    }

    static List<Network> networks() {
        InputShape rgb = InputShape.rgb(SIZE);
        List<Network> networks = new ArrayList<>();
        networks.add(new Network("notebook CNN", SeedCnn.NOTEBOOK.create(rgb, 3, 1), rgb));
        networks.add(new Network("notebook CNN, gray 28x28", SeedCnn.NOTEBOOK.create(new InputShape(28, 28, 1), 3, 1),
                new InputShape(28, 28, 1)));
        networks.add(new Network("deeper CNN", SeedCnn.DEEPER.create(rgb, 4, 1), rgb));
        MobileNetV2 architecture = MobileNetV2.builder().optAlpha(0.35).setInputShape(rgb).build();
        ComputationGraph mobileNet = mobileNetV2(architecture);
        networks.add(new Network("MobileNetV2 0.35", mobileNet, rgb));
        networks.add(new Network("folded MobileNetV2 0.35", InferenceFolding.fold(mobileNet), rgb));
        networks.add(new Network("folded channels-last MobileNetV2 0.35",
                InferenceFolding.fold(mobileNet, rgb), rgb));
        networks.add(new Network("pooled MobileNetV2 0.35", MobileNetV2.withGlobalAveragePooling(mobileNet), rgb));
        networks.add(new Network("folded channels-last pooled MobileNetV2 0.35 (the extractor's graph)",
                InferenceFolding.fold(MobileNetV2.withGlobalAveragePooling(mobileNet), rgb), rgb));
        InputShape odd = InputShape.rgb(45);
        MobileNetV2 wide = MobileNetV2.builder().optAlpha(1.0).setInputShape(odd).build();
        networks.add(new Network("folded channels-last pooled MobileNetV2 1.0 at 45x45",
                InferenceFolding.fold(MobileNetV2.withGlobalAveragePooling(mobileNetV2(wide)), odd), odd));
        networks.add(new Network("transfer classifier", TransferNetworks.classifier(mobileNet, MobileNetV2.OUTPUT_NAME,
                architecture.outputChannels(), 16, 3, 1e-3, 1, null), rgb));
        networks.add(new Network("VGG16 fc2, channels-last", Vgg16.builder().optInputSize(64).optFeaturesOnly(true)
                .optChannelsLast(true).build(), InputShape.rgb(64)));
        networks.add(new Network("VGG16 fc2, channels-first", Vgg16.builder().optInputSize(64).optFeaturesOnly(true)
                .build(), InputShape.rgb(64)));
        return networks;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("networks")
    void bothEnginesGiveDl4jsOutputs(Network network) {
        Nd4j.getRandom().setSeed(9);
        InputShape shape = network.shape();
        INDArray batch = Nd4j.rand(DataType.FLOAT, 5, shape.channels(), shape.height(), shape.width()).muli(2).subi(1);
        INDArray expected = network.graph().outputSingle(false, batch.dup());
        for (InferenceEngine engine : InferenceEngine.values()) {
            try (InferenceSession session = engine.open(network.graph(), shape, Preprocessing.NONE)) {
                assertThat(session.engine()).isEqualTo(engine);
                INDArray actual = session.output(batch);
                assertThat(actual.shape()).as(network + " on " + engine).isEqualTo(expected.shape());
                double scale = Math.max(1.0, expected.amaxNumber().doubleValue());
                assertThat(actual.sub(expected).amaxNumber().doubleValue() / scale).as(network + " on " + engine)
                        .isLessThan(1e-4);
                // a single image and a batch of another size run too
                INDArray one = session.output(batch.get(NDArrayIndex.interval(0, 1)).dup());
                INDArray expectedOne = expected.get(NDArrayIndex.interval(0, 1));
                assertThat(one.shape()).isEqualTo(expectedOne.shape());
                assertThat(one.sub(expectedOne).amaxNumber().doubleValue() / scale)
                        .as(network + " on " + engine + ", one image").isLessThan(1e-4);
            }
        }
    }
}
