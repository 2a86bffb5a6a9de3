package org.cnnkit.zoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.ArrayList;
import java.util.List;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.zoo.weights.KerasH5Writer;
import org.cnnkit.zoo.weights.KerasWeights;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.ops.transforms.Transforms;

class Vgg16Test {

    @Test
    void graphHasTheKerasLayerNamesAndShapes() {
        ComputationGraph graph = Vgg16.builder().optInputSize(32).optClasses(10).build();
        List<String> names = new ArrayList<>();
        for (GraphVertex vertex : graph.getVertices()) {
            names.add(vertex.getVertexName());
        }
        assertThat(names).contains("input_1", "block1_conv1", "block1_conv2", "block1_pool", "block3_conv3",
                "block5_conv3", "block5_pool", "flatten", "fc1", "fc2", "predictions");
        for (String layer : Vgg16.parameterLayerNames()) {
            assertThat(graph.getLayer(layer)).as(layer).isNotNull();
        }
        assertThat(graph.getLayer("block4_conv1").paramTable().get("W").shape()).containsExactly(512, 256, 3, 3);
        assertThat(graph.getLayer("fc1").paramTable().get("W").shape()).containsExactly(512, 4096);
        INDArray out = graph.outputSingle(Nd4j.rand(DataType.FLOAT, 2, 3, 32, 32));
        assertThat(out.shape()).containsExactly(2, 10);
        assertThat(out.sum(1).getDouble(0)).isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-4));

        ComputationGraph features = Vgg16.builder().optInputSize(32).optFeaturesOnly(true).build();
        assertThat(features.getConfiguration().getVertices()).doesNotContainKey("predictions");
        assertThat(features.outputSingle(Nd4j.rand(DataType.FLOAT, 1, 3, 32, 32)).shape()).containsExactly(1, 4096);
    }

    @Test
    void pretrainedSizeGraphHasTheKerasFc1Size() {
        ComputationGraph graph = Vgg16.builder().optFeaturesOnly(true).build();
        assertThat(graph.getLayer("fc1").paramTable().get("W").shape()).containsExactly(7 * 7 * 512, 4096);
        assertThat(graph.numParams()).isEqualTo(138_357_544L - (4096L * 1000 + 1000));
    }

    /** Writes Keras weights (Keras layouts, by layer name) and loads the named layers as Keras files are loaded. */
    private static void loadKerasLayers(ComputationGraph graph, Map<String, Map<String, Object>> layers, Path file) {
        KerasH5Writer writer = new KerasH5Writer();
        layers.forEach(writer::layer);
        writer.write(file);
        try (KerasWeights weights = KerasWeights.open(file)) {
            weights.loadInto(graph, layers.keySet());
        }
    }

    /** A Keras kernel's rows, {@code [h, w, c]}-flatten order, put in {@code [c, h, w]}-flatten order. */
    private static INDArray channelFirstRows(INDArray kernel, int h, int w, int c) {
        return kernel.reshape('c', h, w, c, kernel.size(1)).permute(2, 0, 1, 3).dup('c')
                .reshape('c', kernel.size(0), kernel.size(1));
    }

    @Test
    void kerasFc1KernelReorderedForNchwFlattenGivesKerasActivations(@TempDir Path dir) {
        ComputationGraph graph = Vgg16.builder().optInputSize(64).optFeaturesOnly(true).build();
        INDArray kerasKernel = Nd4j.rand(DataType.FLOAT, 2 * 2 * 512, 4096).subi(0.5);
        loadKerasLayers(graph, Map.of("fc1", Map.of("kernel", kerasKernel.toFloatMatrix(), "bias", new float[4096])),
                dir.resolve("fc1.h5"));
        var activations = graph.feedForward(Nd4j.rand(DataType.FLOAT, 1, 3, 64, 64).muli(255), false);
        INDArray pool = activations.get("block5_pool");
        assertThat(pool.shape()).containsExactly(1, 512, 2, 2);
        // Keras flattens the channel-last map: [h, w, c].
        INDArray kerasFlatten = pool.permute(0, 2, 3, 1).dup('c').reshape(1, 2 * 2 * 512);
        INDArray expected = Transforms.relu(kerasFlatten.mmul(kerasKernel));
        INDArray actual = activations.get("fc1");
        assertThat(expected.sumNumber().doubleValue()).isPositive();
        assertThat(actual.equalsWithEps(expected, 1e-2 * expected.maxNumber().doubleValue())).isTrue();
        // Without the reordering the activations differ.
        INDArray unordered = Transforms.relu(pool.reshape(1, 2048).mmul(kerasKernel));
        assertThat(unordered.equalsWithEps(expected, 1e-2 * expected.maxNumber().doubleValue())).isFalse();
    }

    @Test
    void kerasFc1ReorderingMovesEachRowToItsChannelFirstPosition(@TempDir Path dir) {
        // a 2x3 map of 4 channels flattened channel-first, as VGG16's flatten vertex does, in front of fc1
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder().graphBuilder()
                .addInputs("in").setInputTypes(InputType.convolutional(2, 3, 4))
                .addVertex(Vgg16.FLATTEN, new PreprocessorVertex(new CnnToFeedForwardPreProcessor(2, 3, 4)), "in")
                .addLayer(Vgg16.FC1, new DenseLayer.Builder().nIn(2 * 3 * 4).nOut(1).build(), Vgg16.FLATTEN)
                .setOutputs(Vgg16.FC1).build());
        graph.init();
        float[][] kernel = new float[2 * 3 * 4][1];
        for (int row = 0; row < kernel.length; row++) {
            kernel[row][0] = row;
        }
        loadKerasLayers(graph, Map.of("fc1", Map.of("kernel", kernel, "bias", new float[1])), dir.resolve("a.h5"));
        INDArray reordered = graph.getLayer(Vgg16.FC1).getParam("W");
        for (int h = 0; h < 2; h++) {
            for (int w = 0; w < 3; w++) {
                for (int c = 0; c < 4; c++) {
                    assertThat(reordered.getFloat((c * 2 + h) * 3 + w, 0)).isEqualTo((h * 3 + w) * 4 + c);
                }
            }
        }
        assertThatThrownBy(() -> loadKerasLayers(graph,
                Map.of("fc1", Map.of("kernel", new float[2 * 2 * 4][1], "bias", new float[1])), dir.resolve("b.h5")))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("[16, 1]");
    }

    /** A graph laid out as DL4J's zoo VGG16: numbered layers, same shapes. */
    private static ComputationGraph zooLayout(int size, long seed) {
        ComputationGraphConfiguration.GraphBuilder b = new NeuralNetConfiguration.Builder().seed(seed)
                .weightInit(WeightInit.XAVIER).convolutionMode(ConvolutionMode.Same).graphBuilder()
                .addInputs("in").setInputTypes(InputType.convolutional(size, size, 3));
        int[][] blocks = {{64, 2}, {128, 2}, {256, 3}, {512, 3}, {512, 3}};
        int n = 0;
        String previous = "in";
        for (int[] block : blocks) {
            for (int c = 0; c < block[1]; c++) {
                b.addLayer(String.valueOf(n), new ConvolutionLayer.Builder(3, 3).nOut(block[0]).activation(Activation.RELU).build(), previous);
                previous = String.valueOf(n++);
            }
            b.addLayer(String.valueOf(n), new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build(), previous);
            previous = String.valueOf(n++);
        }
        b.addLayer(String.valueOf(n), new DenseLayer.Builder().nOut(4096).activation(Activation.RELU).build(), previous);
        previous = String.valueOf(n++);
        b.addLayer(String.valueOf(n), new DenseLayer.Builder().nOut(4096).activation(Activation.RELU).build(), previous);
        previous = String.valueOf(n++);
        b.addLayer(String.valueOf(n), new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(1000)
                .activation(Activation.SOFTMAX).build(), previous);
        b.setOutputs(String.valueOf(n));
        ComputationGraph graph = new ComputationGraph(b.build());
        graph.init();
        return graph;
    }

    @Test
    void dl4jZooLayoutLoadsByLayerOrder() {
        ComputationGraph zoo = zooLayout(32, 7);
        INDArray input = Nd4j.rand(DataType.FLOAT, 2, 3, 32, 32).muli(100);

        ComputationGraph classifier = Vgg16.builder().optInputSize(32).optSeed(1).build();
        Vgg16.copyByOrder(zoo, classifier, "zoo");
        assertThat(classifier.outputSingle(input).equalsWithEps(zoo.outputSingle(input), 1e-5)).isTrue();

        ComputationGraph features = Vgg16.builder().optInputSize(32).optFeaturesOnly(true).optSeed(2).build();
        Vgg16.copyByOrder(zoo, features, "zoo");
        INDArray zooFc2 = zoo.feedForward(input, false).get("19");
        assertThat(features.outputSingle(input).equalsWithEps(zooFc2, 1e-4)).isTrue();
    }

    @Test
    void aChannelsLastGraphComputesTheSameFc2FromTheSameWeights() {
        ComputationGraph zoo = zooLayout(64, 9);
        INDArray input = Nd4j.rand(DataType.FLOAT, 2, 3, 64, 64).muli(100);
        ComputationGraph channelsFirst = Vgg16.builder().optInputSize(64).optFeaturesOnly(true).build();
        ComputationGraph channelsLast = Vgg16.builder().optInputSize(64).optFeaturesOnly(true).optChannelsLast(true)
                .build();
        Vgg16.copyByOrder(zoo, channelsFirst, "zoo");
        Vgg16.copyByOrder(zoo, channelsLast, "zoo");

        assertThat(Vgg16.isChannelsLast(channelsLast)).isTrue();
        assertThat(Vgg16.isChannelsLast(channelsFirst)).isFalse();
        INDArray expected = channelsFirst.outputSingle(input);
        assertThat(expected.sumNumber().doubleValue()).isPositive();
        assertThat(channelsLast.outputSingle(input).equalsWithEps(expected, 1e-3 * expected.maxNumber().doubleValue()))
                .isTrue();
    }

    @Test
    void aChannelsLastGraphSurvivesDl4jsModelFile(@TempDir Path dir) throws Exception {
        ComputationGraph graph = Vgg16.builder().optInputSize(32).optFeaturesOnly(true).optChannelsLast(true).build();
        Path file = dir.resolve("vgg16-nhwc.zip");
        ModelSerializer.writeModel(graph, file.toFile(), false);

        ComputationGraph restored = ModelSerializer.restoreComputationGraph(file.toFile(), false);

        INDArray input = Nd4j.rand(DataType.FLOAT, 2, 3, 32, 32).muli(100);
        assertThat(Vgg16.isChannelsLast(restored)).isTrue();
        assertThat(restored.outputSingle(input).equalsWithEps(graph.outputSingle(input), 1e-5)).isTrue();
    }

    @Test
    void kerasFc1KernelIsTakenAsItIsByAChannelsLastGraph(@TempDir Path dir) {
        ComputationGraph graph = Vgg16.builder().optInputSize(64).optFeaturesOnly(true).optChannelsLast(true).build();
        INDArray kerasKernel = Nd4j.rand(DataType.FLOAT, 2 * 2 * 512, 4096).subi(0.5);
        loadKerasLayers(graph, Map.of("fc1", Map.of("kernel", kerasKernel.toFloatMatrix(), "bias", new float[4096])),
                dir.resolve("fc1.h5"));
        var activations = graph.feedForward(Nd4j.rand(DataType.FLOAT, 1, 3, 64, 64).muli(255), false);
        // block5_pool is NHWC inside this graph; Keras flattens exactly that.
        INDArray pool = activations.get("block5_pool");
        assertThat(pool.shape()).containsExactly(1, 2, 2, 512);
        INDArray expected = Transforms.relu(pool.dup('c').reshape(1, 2 * 2 * 512).mmul(kerasKernel));
        assertThat(expected.sumNumber().doubleValue()).isPositive();
        assertThat(activations.get("fc1").equalsWithEps(expected, 1e-2 * expected.maxNumber().doubleValue())).isTrue();
    }

    @Test
    void dl4jZooFilesAreReadAndCheckedLayerByLayer(@TempDir Path dir) throws Exception {
        ComputationGraph target = Vgg16.builder().optInputSize(32).optFeaturesOnly(true).build();
        Path text = Files.writeString(dir.resolve("not-a-model.zip"), "hello");
        assertThatThrownBy(() -> Vgg16.loadDl4jZoo(target, text))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("not-a-model.zip");
        assertThatThrownBy(() -> Vgg16.loadDl4jZoo(target, dir.resolve("missing.zip")))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("does not exist");
        // A small DL4J model file: read, then refused at its first layer that does not fit.
        var conf = new NeuralNetConfiguration.Builder().graphBuilder().addInputs("in")
                .setInputTypes(InputType.convolutional(32, 32, 3))
                .addLayer("0", new ConvolutionLayer.Builder(3, 3).nOut(8).build(), "in")
                .addLayer("1", new OutputLayer.Builder().nOut(2).activation(Activation.SOFTMAX).build(), "0")
                .setOutputs("1").build();
        ComputationGraph small = new ComputationGraph(conf);
        small.init();
        Path zip = dir.resolve("small.zip");
        ModelSerializer.writeModel(small, zip.toFile(), false);
        assertThatThrownBy(() -> Vgg16.loadDl4jZoo(target, zip))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("small.zip")
                .hasMessageContaining("has 2 layers with parameters; VGG16 needs 15");
        var wide = new NeuralNetConfiguration.Builder().graphBuilder().addInputs("in")
                .setInputTypes(InputType.convolutional(32, 32, 3));
        String previous = "in";
        for (int i = 0; i < 16; i++) {
            wide.addLayer(String.valueOf(i), new ConvolutionLayer.Builder(3, 3).nOut(4)
                    .convolutionMode(ConvolutionMode.Same).build(), previous);
            previous = String.valueOf(i);
        }
        ComputationGraph sixteen = new ComputationGraph(wide.setOutputs(previous).build());
        sixteen.init();
        Path other = dir.resolve("other.zip");
        ModelSerializer.writeModel(sixteen, other.toFile(), false);
        assertThatThrownBy(() -> Vgg16.loadDl4jZoo(target, other))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("VGG16 layer 'block1_conv1' needs");
    }

    @Test
    void kerasFc1KernelIsReorderedAndItsBiasShapedButFc2IsTakenAsItIs(@TempDir Path dir) {
        ComputationGraph graph = Vgg16.builder().optInputSize(64).optFeaturesOnly(true).build();
        var fc1 = graph.getLayer("fc1");
        INDArray kernel = Nd4j.rand(DataType.FLOAT, 2048, 4096);
        INDArray bias = Nd4j.rand(DataType.FLOAT, 4096);
        INDArray fc2Kernel = Nd4j.rand(DataType.FLOAT, 4096, 4096);
        loadKerasLayers(graph, Map.of(
                "fc1", Map.of("kernel", kernel.toFloatMatrix(), "bias", bias.toFloatVector()),
                "fc2", Map.of("kernel", fc2Kernel.toFloatMatrix(), "bias", new float[4096])), dir.resolve("fc.h5"));
        assertThat(fc1.getParam("W")).isEqualTo(channelFirstRows(kernel, 2, 2, 512));
        assertThat(fc1.getParam("b").shape()).isEqualTo(fc1.paramTable().get("b").shape());
        assertThat(fc1.getParam("b")).isEqualTo(bias.reshape(fc1.getParam("b").shape()));
        assertThat(graph.getLayer("fc2").getParam("W")).as("fc2 follows fc1, not the flatten").isEqualTo(fc2Kernel);
    }

    @Test
    void kerasWeightsThatAreNotHdf5AreRefused(@TempDir Path dir) throws Exception {
        ComputationGraph graph = Vgg16.builder().optInputSize(32).optFeaturesOnly(true).build();
        Path text = Files.writeString(dir.resolve("vgg16.h5"), "not hdf5");
        assertThatThrownBy(() -> Vgg16.loadKerasWeights(graph, text))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("vgg16.h5");
        assertThat(Vgg16.KERAS_WEIGHTS.url().toString()).endsWith("/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels.h5");
        assertThat(Vgg16.KERAS_WEIGHTS.sha256()).isEmpty();
    }
}
