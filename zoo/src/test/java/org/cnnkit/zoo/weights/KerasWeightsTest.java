package org.cnnkit.zoo.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.zoo.MobileNetV2;
import org.cnnkit.zoo.TestAssets;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class KerasWeightsTest {

    @TempDir
    Path tmp;

    private static ComputationGraph mobileNet(double alpha) {
        return MobileNetV2.builder().optAlpha(alpha).setInputShape(InputShape.rgb(32)).build().newGraph();
    }

    @Test
    void readsLayerNamesAndKerasShapesOfTheOfficialLayout() {
        try (KerasWeights weights = KerasWeights.open(TestAssets.mobileNetWeights())) {
            assertThat(weights.layerNames()).hasSize(104).startsWith("Conv1", "bn_Conv1").endsWith("Conv_1_bn");
            assertThat(weights.weightsOf("block_1_depthwise"))
                    .containsExactly(new KerasWeightSpec("depthwise_kernel", new long[] {3, 3, 48, 1}));
            assertThat(weights.weightsOf("bn_Conv1")).extracting(KerasWeightSpec::name)
                    .containsExactly("gamma", "beta", "moving_mean", "moving_variance");
        }
    }

    @Test
    void loadsEveryLayerAndConvertsKernelLayouts() {
        ComputationGraph graph = mobileNet(0.35);
        try (KerasWeights weights = KerasWeights.open(TestAssets.mobileNetWeights())) {
            weights.loadInto(graph);
            INDArray kernel = weights.read("Conv1", "kernel"); // [kh, kw, in, out]
            INDArray w = graph.getLayer("Conv1").getParam("W"); // [out, in, kh, kw]
            assertThat(w.getFloat(5, 2, 0, 1)).isEqualTo(kernel.getFloat(0, 1, 2, 5));
            assertThat(graph.getLayer("block_1_depthwise").getParam("W"))
                    .isEqualTo(weights.read("block_1_depthwise", "depthwise_kernel"));
            assertThat(graph.getLayer("Conv_1_bn").getParam("var").reshape(-1))
                    .isEqualTo(weights.read("Conv_1_bn", "moving_variance"));
        }
    }

    @Test
    void wholeModelFileLoadsTheSameWeightsAsTheWeightsOnlyFile() {
        ComputationGraph fromWeights = mobileNet(0.35);
        ComputationGraph fromModel = mobileNet(0.35);
        try (KerasWeights weights = KerasWeights.open(TestAssets.mobileNetWeights());
                KerasWeights model = KerasWeights.open(TestAssets.mobileNetModel())) {
            weights.loadInto(fromWeights);
            model.loadInto(fromModel);
        }
        assertThat(fromModel.params()).isEqualTo(fromWeights.params());
        assertThat(fromModel.params()).isNotEqualTo(mobileNet(0.35).params());
    }

    @Test
    void weightsOfAnotherAlphaFailOnTheFirstMismatchAndChangeNothing() {
        ComputationGraph alpha1 = mobileNet(1.0);
        INDArray before = alpha1.params().dup();
        try (KerasWeights weights = KerasWeights.open(TestAssets.mobileNetWeights())) {
            assertThatThrownBy(() -> weights.loadInto(alpha1))
                    .isInstanceOf(CnnkitException.class)
                    .hasMessageContaining("mobilenet_v2_0.35_224_no_top.weights.h5")
                    .hasMessageContaining("layer 'Conv1', weight 'kernel'")
                    .hasMessageContaining("expects shape [3, 3, 3, 32], the file has [3, 3, 3, 16]");
            // alpha 0.5 shares the first layers with 0.35: the first difference is block_1_project (16 vs 8)
            assertThatThrownBy(() -> weights.loadInto(mobileNet(0.5)))
                    .isInstanceOf(CnnkitException.class)
                    .hasMessageContaining("layer 'block_1_project', weight 'kernel'")
                    .hasMessageContaining("expects shape [1, 1, 48, 16], the file has [1, 1, 48, 8]");
        }
        assertThat(alpha1.params()).isEqualTo(before);
    }

    @Test
    void weightsLoadIntoAnyInputSize() {
        ComputationGraph graph = MobileNetV2.builder().optAlpha(0.35).setInputShape(new InputShape(65, 47, 3))
                .build().newGraph();
        try (KerasWeights weights = KerasWeights.open(TestAssets.mobileNetWeights())) {
            weights.loadInto(graph);
        }
        assertThat(graph.outputSingle(Nd4j.rand(1, 3, 65, 47)).shape()).containsExactly(1, 1280, 3, 2);
    }

    @Test
    void refusesAFileThatIsNotHdf5() throws Exception {
        Path text = Files.writeString(tmp.resolve("weights.h5"), "this is not an HDF5 file, but long enough\n");
        assertThatThrownBy(() -> KerasWeights.open(text))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining("not an HDF5 file")
                .hasMessageContaining(text.toString());
        assertThatThrownBy(() -> KerasWeights.open(tmp.resolve("absent.h5")))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining("not found");
    }

    @Test
    void refusesATruncatedFile() throws Exception {
        Path truncated = tmp.resolve("truncated.h5");
        try (InputStream in = Files.newInputStream(TestAssets.mobileNetWeights())) {
            Files.write(truncated, in.readNBytes(1_000_000));
        }
        assertThatThrownBy(() -> KerasWeights.open(truncated).close())
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining("truncated")
                .hasMessageContaining(truncated.toString());
    }

    @Test
    void refusesTheWeightsOfAnotherModel() {
        Path other = tmp.resolve("other.h5");
        new KerasH5Writer().layer("dense_1", Map.of("kernel", new float[4][2], "bias", new float[2])).write(other);
        try (KerasWeights weights = KerasWeights.open(other)) {
            assertThat(weights.layerNames()).containsExactly("dense_1");
            assertThatThrownBy(() -> weights.loadInto(mobileNet(0.35)))
                    .isInstanceOf(CnnkitException.class)
                    .hasMessageContaining("has no weights for layer 'Conv1'")
                    .hasMessageContaining("dense_1");
        }
    }

    @Test
    void strictLoadRefusesFileLayersTheNetworkLacksButASelectedLoadTakesThem() {
        ComputationGraph small = new ComputationGraph(new NeuralNetConfiguration.Builder().graphBuilder()
                .addInputs("in").setInputTypes(InputType.convolutional(8, 8, 3))
                .addLayer("Conv1", new ConvolutionLayer.Builder(3, 3).stride(2, 2).nOut(16).hasBias(false).build(), "in")
                .setOutputs("Conv1").build());
        small.init();
        try (KerasWeights weights = KerasWeights.open(TestAssets.mobileNetWeights())) {
            assertThatThrownBy(() -> weights.loadInto(small))
                    .isInstanceOf(CnnkitException.class)
                    .hasMessageContaining("has weights for layer 'bn_Conv1' that the network does not have");
            weights.loadInto(small, List.of("Conv1"));
            assertThat(small.getLayer("Conv1").getParam("W"))
                    .isEqualTo(weights.read("Conv1", "kernel").permute(3, 2, 0, 1));
        }
    }

    @Test
    void loadsConvAndDenseLayersWithBiasesFromAGeneratedFileAndReordersTheFlattenedKernel() {
        float[][][][] convKernel = new float[3][3][3][2];
        convKernel[1][2][0][1] = 0.5f;
        float[][] fc1 = new float[2 * 2 * 2][5]; // rows in Keras order (h, w, c) of the 2x2x2 map
        fc1[1 * 4 + 0 * 2 + 1][3] = 2f;          // h=1, w=0, c=1
        Path file = tmp.resolve("vgg-like.h5");
        new KerasH5Writer()
                .layer("block1_conv1", Map.of("kernel", convKernel, "bias", new float[] {0.1f, 0.2f}))
                .layer("fc1", Map.of("kernel", fc1, "bias", new float[] {1, 2, 3, 4, 5}))
                .layer("predictions", Map.of("kernel", new float[5][3], "bias", new float[] {7, 8, 9}))
                .write(file);
        // a VGG-like net: conv (bias) -> flatten (implicit, or an explicit vertex) -> dense (bias) -> softmax (bias)
        for (boolean explicitFlatten : new boolean[] {false, true}) {
            var builder = new NeuralNetConfiguration.Builder().graphBuilder()
                    .addInputs("in").setInputTypes(InputType.convolutional(4, 4, 3))
                    .addLayer("block1_conv1", new ConvolutionLayer.Builder(3, 3).nOut(2)
                            .activation(Activation.RELU).build(), "in");
            if (explicitFlatten) {
                builder.addVertex("flatten", new PreprocessorVertex(new CnnToFeedForwardPreProcessor(2, 2, 2)),
                        "block1_conv1");
            }
            ComputationGraph graph = new ComputationGraph(builder
                    .addLayer("fc1", new DenseLayer.Builder().nIn(8).nOut(5).activation(Activation.RELU).build(),
                            explicitFlatten ? "flatten" : "block1_conv1")
                    .addLayer("predictions", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                            .activation(Activation.SOFTMAX).build(), "fc1")
                    .setOutputs("predictions").build());
            graph.init();
            try (KerasWeights weights = KerasWeights.open(file)) {
                weights.loadInto(graph);
            }
            assertThat(graph.getLayer("block1_conv1").getParam("W").getFloat(1, 0, 1, 2)).isEqualTo(0.5f);
            assertThat(graph.getLayer("block1_conv1").getParam("b").toFloatVector()).containsExactly(0.1f, 0.2f);
            INDArray w = graph.getLayer("fc1").getParam("W");
            assertThat(w.getFloat(1 * 4 + 1 * 2 + 0, 3)).as("DL4J row of (c=1, h=1, w=0)").isEqualTo(2f);
            assertThat(w.sumNumber().floatValue()).isEqualTo(2f);
            assertThat(graph.getLayer("predictions").getParam("b").toFloatVector()).containsExactly(7f, 8f, 9f);
        }
    }
}
