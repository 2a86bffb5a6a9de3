package org.cnnkit.zoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.cnnkit.core.image.InputShape;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

class MobileNetV2Test {

    private static MobileNetV2 net(double alpha, int size) {
        return MobileNetV2.builder().optAlpha(alpha).setInputShape(InputShape.rgb(size)).build();
    }

    private static long channels(ComputationGraph graph, String layer) {
        return graph.getLayer(layer).getParam("W").size(0);
    }

    @Test
    void makeDivisibleRoundsLikeKeras() {
        assertThat(MobileNetV2.makeDivisible(32 * 0.35, 8)).isEqualTo(16);   // 11.2 -> 16 (never below 8, +8 if < 90%)
        assertThat(MobileNetV2.makeDivisible(5, 8)).isEqualTo(8);
        assertThat(MobileNetV2.makeDivisible(33.6, 8)).isEqualTo(32);
        assertThat(MobileNetV2.makeDivisible(1280 * 1.3, 8)).isEqualTo(1664);
        assertThat(MobileNetV2.makeDivisible(19, 8)).isEqualTo(24);           // 16 < 0.9 * 19 -> 24
    }

    @Test
    void channelCountsAndParameterCountsMatchKerasForEveryAlpha() {
        // {alpha, Conv1, expanded_conv_project, block_16_project, Conv_1, Keras no-top parameter count}
        Object[][] expected = {
            {0.35, 16, 8, 112, 1280, 410_208L},
            {0.5, 16, 8, 160, 1280, 706_224L},
            {0.75, 24, 16, 240, 1280, 1_382_064L},
            {1.0, 32, 16, 320, 1280, 2_257_984L},
            {1.3, 40, 24, 416, 1664, 3_766_048L},
            {1.4, 48, 24, 448, 1792, 4_363_712L},
        };
        for (Object[] row : expected) {
            ComputationGraph graph = net((double) row[0], 32).newGraph();
            assertThat(channels(graph, "Conv1")).as("Conv1 at alpha %s", row[0]).isEqualTo((int) row[1]);
            assertThat(channels(graph, "expanded_conv_project")).isEqualTo((int) row[2]);
            assertThat(channels(graph, "block_16_project")).isEqualTo((int) row[3]);
            assertThat(channels(graph, "Conv_1")).isEqualTo((int) row[4]);
            assertThat(net((double) row[0], 32).outputChannels()).isEqualTo((int) row[4]);
            assertThat(graph.numParams()).as("parameters at alpha %s", row[0]).isEqualTo((long) row[5]);
        }
    }

    @Test
    void layerNamesAreThoseOfTheKerasModel() throws Exception {
        JsonNode config = new ObjectMapper().readTree(Files.readString(
                TestAssets.asset("mobilenet_v2/mobilenet_v2_0.35_224_no_top.config.json")));
        Set<String> keras = new TreeSet<>();
        for (JsonNode layer : config.get("config").get("layers")) {
            keras.add(layer.get("config").get("name").asText());
        }
        ComputationGraph graph = net(0.35, 224).newGraph();
        Set<String> ours = new TreeSet<>(graph.getConfiguration().getVertices().keySet());
        ours.add(MobileNetV2.INPUT_NAME);
        assertThat(ours).isEqualTo(keras);
        assertThat(keras).hasSize(155);
        BatchNormalization bn = (BatchNormalization) graph.getLayer("bn_Conv1").conf().getLayer();
        assertThat(bn.getEps()).isEqualTo(1e-3);
        assertThat(bn.getDecay()).isEqualTo(0.999);
    }

    @Test
    void outputIsTheInputDividedBy32RoundedUpForAnySize() {
        int[][] sizes = {{32, 32, 1, 1}, {100, 100, 4, 4}, {97, 64, 4, 2}, {33, 47, 2, 2}};
        for (int[] s : sizes) {
            MobileNetV2 net = MobileNetV2.builder().optAlpha(0.35).setInputShape(new InputShape(s[0], s[1], 3))
                    .build();
            assertThat(net.outputHeight()).isEqualTo(s[2]);
            assertThat(net.outputWidth()).isEqualTo(s[3]);
            if (s[0] < 100) { // the forward pass confirms DL4J agrees with the arithmetic
                assertThat(net.newGraph().outputSingle(Nd4j.rand(1, 3, s[0], s[1])).shape())
                        .containsExactly(1, 1280, s[2], s[3]);
            }
        }
        assertThat(net(1.0, 224).outputHeight()).isEqualTo(7);
        assertThat(net(1.0, 225).outputHeight()).isEqualTo(8);
    }

    @Test
    void strideTwoPaddingIsKerasCorrectPad() {
        // even sizes pad (0, 1) like TensorFlow 'same'; odd sizes pad (1, 1)
        ComputationGraph graph = net(0.35, 100).newGraph();
        var conv1Pad = (ZeroPaddingLayer) graph.getLayer("Conv1_pad").conf().getLayer();
        assertThat(conv1Pad.getPadding()).containsExactly(0, 1, 0, 1);
        var block3Pad = (ZeroPaddingLayer) graph.getLayer("block_3_pad").conf().getLayer();
        assertThat(block3Pad.getPadding()).as("input of block_3 is 25x25").containsExactly(1, 1, 1, 1);
    }

    @Test
    void lastBlocksListsTrainableLayersFromTheTop() {
        assertThat(MobileNetV2.trainableLayersOfLastBlocks(0)).containsExactly("Conv_1", "Conv_1_bn");
        List<String> two = MobileNetV2.trainableLayersOfLastBlocks(2);
        assertThat(two).startsWith("block_15_expand").endsWith("block_16_project_BN", "Conv_1", "Conv_1_bn")
                .hasSize(14);
        List<String> all = new ArrayList<>(MobileNetV2.trainableLayersOfLastBlocks(17));
        assertThat(all).contains("expanded_conv_depthwise").doesNotContain("expanded_conv_expand");
        ComputationGraph graph = net(0.35, 32).newGraph();
        all.add("Conv1");
        all.add("bn_Conv1");
        long withParams = Arrays.stream(graph.getLayers()).filter(l -> l.numParams() > 0).count();
        assertThat(all).hasSize((int) withParams);
        all.forEach(name -> assertThat(graph.getLayer(name)).as(name).isNotNull());
    }

    @Test
    void blockOutputsAndFineTuningBoundariesAreGraphVertices() {
        MobileNetV2 net = net(0.35, 32);
        var vertices = net.configuration().getVertices().keySet();
        assertThat(net.blockOutput(0)).isEqualTo("expanded_conv_project_BN");
        assertThat(net.blockOutput(1)).isEqualTo("block_1_project_BN");
        assertThat(net.blockOutput(2)).isEqualTo("block_2_add");
        assertThat(net.blockOutput(16)).isEqualTo("block_16_project_BN");
        assertThat(net.frozenUpToForLastBlocks(0)).isEqualTo("block_16_project_BN");
        assertThat(net.frozenUpToForLastBlocks(2)).isEqualTo("block_14_add");
        assertThat(net.frozenUpToForLastBlocks(17)).isEqualTo("Conv1_relu");
        for (int k = 0; k <= MobileNetV2.BLOCK_COUNT; k++) {
            assertThat(vertices).contains(net.frozenUpToForLastBlocks(k));
        }
    }

    @Test
    void pooledGraphAveragesTheOutputOverHeightAndWidth() {
        ComputationGraph graph = net(0.35, 64).newGraph();
        INDArray input = Nd4j.rand(2, 3, 64, 64);
        INDArray map = graph.outputSingle(input);
        INDArray pooled = MobileNetV2.withGlobalAveragePooling(graph).outputSingle(input);
        assertThat(pooled.shape()).containsExactly(2, 1280);
        assertThat(pooled.sub(map.mean(2, 3)).amaxNumber().doubleValue()).isLessThan(1e-5);
    }

    @Test
    void builderRefusesBadSettings() {
        assertThatThrownBy(() -> MobileNetV2.builder().build()).hasMessageContaining("setInputShape");
        assertThatThrownBy(() -> net(0.35, 31)).hasMessageContaining("at least 32x32");
        assertThatThrownBy(() -> MobileNetV2.builder().setInputShape(new InputShape(64, 64, 1)).build())
                .hasMessageContaining("3 channels");
        assertThatThrownBy(() -> net(0, 64)).hasMessageContaining("alpha");
    }
}
