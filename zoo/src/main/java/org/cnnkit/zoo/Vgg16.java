package org.cnnkit.zoo;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.core.runtime.NativeRuntime;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.CNN2DFormat;
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
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.cnnkit.zoo.weights.KerasWeights;
import org.cnnkit.zoo.weights.WeightsSource;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * VGG16 (Simonyan and Zisserman, 2014) built natively as a DL4J {@link ComputationGraph} with the Keras layer
 * names: {@code block1_conv1} ... {@code block5_pool}, {@code flatten}, {@code fc1}, {@code fc2},
 * {@code predictions}. Input is NCHW, RGB, prepared with {@link Preprocessing#VGG16_CAFFE}; the pretrained
 * ImageNet weights expect 224x224.
 *
 * <p>Build a randomly initialised network with {@link #builder()}; fill it with weights from DL4J's zoo file
 * ({@link #loadDl4jZoo}) or from Keras's HDF5 file ({@link #loadKerasWeights}).
 * {@link Builder#optFeaturesOnly(boolean)} stops the graph at {@code fc2} (4096 features) for retrieval.
 */
public final class Vgg16 {

    /** The name of the input. */
    public static final String INPUT = "input_1";
    /** The flatten vertex between {@code block5_pool} and {@code fc1}. */
    public static final String FLATTEN = "flatten";
    /** The first fully connected layer (4096, ReLU). */
    public static final String FC1 = "fc1";
    /** The second fully connected layer (4096, ReLU): the retrieval features. */
    public static final String FC2 = "fc2";
    /** The classifier (softmax). */
    public static final String PREDICTIONS = "predictions";
    /** The input size the pretrained ImageNet weights were trained at. */
    public static final int PRETRAINED_SIZE = 224;
    /** Width of the fully connected layers. */
    public static final int FC_WIDTH = 4096;

    private static final int[][] BLOCKS = {{64, 2}, {128, 2}, {256, 3}, {512, 3}, {512, 3}};

    private Vgg16() {
    }

    /** {@return a builder for a randomly initialised VGG16} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return the input shape of the pretrained network, 224x224 RGB} */
    public static InputShape pretrainedInputShape() {
        return InputShape.rgb(PRETRAINED_SIZE);
    }

    /** {@return the names of the layers that hold parameters, in network order: 13 convolutions and 3 dense layers} */
    public static List<String> parameterLayerNames() {
        List<String> names = new ArrayList<>();
        for (int b = 0; b < BLOCKS.length; b++) {
            for (int c = 1; c <= BLOCKS[b][1]; c++) {
                names.add("block" + (b + 1) + "_conv" + c);
            }
        }
        names.add(FC1);
        names.add(FC2);
        names.add(PREDICTIONS);
        return List.copyOf(names);
    }

    /**
     * The official Keras weights with the classifier, {@code vgg16_weights_tf_dim_ordering_tf_kernels.h5} (528 MB).
     * Keras publishes only its MD5 ({@code 64373286793e3c8b2b4e3219cbf3544b}), so no SHA-256 is pinned: the
     * download is checked as an HDF5 file and its SHA-256 logged.
     */
    public static final WeightsSource KERAS_WEIGHTS = WeightsSource.of("vgg16_weights_tf_dim_ordering_tf_kernels.h5",
            URI.create("https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
                    + "vgg16_weights_tf_dim_ordering_tf_kernels.h5"));

    /**
     * Loads Keras VGG16 weights (an HDF5 file such as {@link #KERAS_WEIGHTS}) into a graph built by this class,
     * by layer name. {@code fc1}'s kernel rows follow Keras's channel-last flatten: {@link KerasWeights} reorders
     * them for the {@link #FLATTEN} vertex in front of {@code fc1} when it flattens channel-first, and takes them as
     * they are when it flattens channel-last ({@link Builder#optChannelsLast}); {@code predictions} is loaded only
     * when the graph has it.
     *
     * @param target a VGG16 from {@link #builder()} at the size the weights were trained for (224)
     * @param h5 the Keras weights file
     * @throws CnnkitException if the file is missing, not a Keras weights file, or lacks or mis-sizes a layer
     */
    public static void loadKerasWeights(ComputationGraph target, Path h5) {
        List<String> layers = new ArrayList<>(parameterLayerNames());
        if (!target.getConfiguration().getVertices().containsKey(PREDICTIONS)) {
            layers.remove(PREDICTIONS);
        }
        try (KerasWeights weights = KerasWeights.open(h5)) {
            weights.loadInto(target, layers);
        }
    }

    /**
     * Tells whether a graph built by this class flattens channels-last ({@link Builder#optChannelsLast}).
     *
     * @param graph a VGG16 from {@link #builder()}
     * @return true if {@code block5_pool} is flattened in (height, width, channel) order
     */
    public static boolean isChannelsLast(ComputationGraph graph) {
        return graph.getConfiguration().getVertices().get(FLATTEN) instanceof PreprocessorVertex vertex
                && vertex.getPreProcessor() instanceof CnnToFeedForwardPreProcessor flatten
                && flatten.getFormat() == CNN2DFormat.NHWC;
    }

    /**
     * Copies the weights of DL4J's zoo VGG16 ({@code vgg16_dl4j_inference.zip}, a {@link ModelSerializer} file whose
     * layers are numbered) into a graph built by this class, matching the 16 parameter layers by order.
     *
     * @param target a VGG16 from {@link #builder()} with the classifier ({@code predictions}) or without it
     * @param zip the DL4J model file
     * @throws CnnkitException if the file is missing or not a DL4J model, or its layers do not match VGG16's
     *     parameter shapes (the message names the first layer that differs)
     */
    public static void loadDl4jZoo(ComputationGraph target, Path zip) {
        if (!Files.isRegularFile(zip)) {
            throw new CnnkitException("DL4J VGG16 weights file " + zip + " does not exist");
        }
        copyByOrder(restore(zip), target, "DL4J model " + zip);
    }

    /** Copies the parameter layers of {@code source}, in order, into VGG16's named layers of {@code target}. */
    static void copyByOrder(Model sourceModel, ComputationGraph target, String sourceName) {
        List<Layer> source = parameterLayers(sourceModel);
        boolean channelsLast = isChannelsLast(target); // the zoo's fc1 rows follow a channel-first flatten
        List<String> names = new ArrayList<>(parameterLayerNames());
        if (!target.getConfiguration().getVertices().containsKey(PREDICTIONS)) {
            names.remove(PREDICTIONS);
        }
        if (source.size() < names.size()) {
            throw new CnnkitException(sourceName + " has " + source.size()
                    + " layers with parameters; VGG16 needs " + names.size());
        }
        for (int i = 0; i < names.size(); i++) {
            Layer from = source.get(i);
            Layer to = target.getLayer(names.get(i));
            for (var entry : to.paramTable().entrySet()) {
                INDArray value = from.paramTable().get(entry.getKey());
                if (value == null || !Arrays.equals(value.shape(), entry.getValue().shape())) {
                    throw new CnnkitException(sourceName + ": layer " + i + " ('" + from.conf().getLayer().getLayerName()
                            + "') parameter " + entry.getKey() + " has shape "
                            + (value == null ? "none" : Arrays.toString(value.shape())) + " but VGG16 layer '"
                            + names.get(i) + "' needs " + Arrays.toString(entry.getValue().shape()));
                }
            }
            for (var entry : to.paramTable().entrySet()) {
                INDArray value = from.paramTable().get(entry.getKey());
                if (FC1.equals(names.get(i)) && "W".equals(entry.getKey()) && channelsLast) {
                    long side = Math.round(Math.sqrt(value.size(0) / 512.0));
                    value = ChannelsLast.denseRowsChannelsLast(value, new long[] {512, side, side});
                }
                to.setParam(entry.getKey(), value); // assigns into the layer's own array: no copy needed before
            }
        }
    }

    private static Model restore(Path zip) {
        try {
            return ModelSerializer.restoreComputationGraph(zip.toFile(), false);
        } catch (Exception graphFailure) {
            try {
                return ModelSerializer.restoreMultiLayerNetwork(zip.toFile(), false);
            } catch (Exception networkFailure) {
                throw new CnnkitException("cannot read " + zip + " as a DL4J model (" + graphFailure.getMessage() + ")",
                        graphFailure);
            }
        }
    }

    private static List<Layer> parameterLayers(Model model) {
        List<Layer> layers = new ArrayList<>();
        if (model instanceof ComputationGraph graph) {
            GraphVertex[] vertices = graph.getVertices();
            for (int index : graph.topologicalSortOrder()) {
                GraphVertex vertex = vertices[index];
                if (vertex.hasLayer() && vertex.getLayer().numParams() > 0) {
                    layers.add(vertex.getLayer());
                }
            }
        } else if (model instanceof MultiLayerNetwork network) {
            for (Layer layer : network.getLayers()) {
                if (layer.numParams() > 0) {
                    layers.add(layer);
                }
            }
        }
        return layers;
    }

    /** Configures a VGG16 graph. */
    public static final class Builder {
        private int inputSize = PRETRAINED_SIZE;
        private boolean featuresOnly;
        private boolean channelsLast;
        private int classes = 1000;
        private long seed = 42;

        private Builder() {
        }

        /**
         * Sets the input height and width; 224 by default (the pretrained size). Smaller sizes (a multiple of 32,
         * at least 32) make cheap networks for tests.
         *
         * @param size pixels
         * @return this builder
         */
        public Builder optInputSize(int size) {
            this.inputSize = size;
            return this;
        }

        /**
         * Stops the graph at {@code fc2}, whose 4096 activations are the retrieval features; false by default.
         *
         * @param featuresOnly whether to leave out {@code predictions}
         * @return this builder
         */
        public Builder optFeaturesOnly(boolean featuresOnly) {
            this.featuresOnly = featuresOnly;
            return this;
        }

        /**
         * Runs the convolutions and pooling channels-last (NHWC) inside the graph, which still takes NCHW images;
         * false by default. ND4J's oneDNN convolutions skip a reorder per call that way: the benchmark's VGG16 fc2
         * features at 224x224 ran at 6.4-6.7 images/s instead of 5.0-5.3 (docs/performance.md). Both loaders put
         * {@code fc1}'s rows in the order this graph flattens in.
         *
         * @param channelsLast whether the image layers run NHWC
         * @return this builder
         */
        public Builder optChannelsLast(boolean channelsLast) {
            this.channelsLast = channelsLast;
            return this;
        }

        /**
         * Sets the number of classes of {@code predictions}; 1000 (ImageNet) by default.
         *
         * @param classes at least 1
         * @return this builder
         */
        public Builder optClasses(int classes) {
            this.classes = classes;
            return this;
        }

        /**
         * Sets the seed of the random initial weights.
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Builds and initialises the graph with random weights.
         *
         * @return the network; its output is {@code fc2} or {@code predictions}
         * @throws IllegalArgumentException if the input size is not a positive multiple of 32 or classes is below 1
         */
        public ComputationGraph build() {
            if (inputSize < 32 || inputSize % 32 != 0) {
                throw new IllegalArgumentException("VGG16 input size must be a multiple of 32, at least 32; got " + inputSize);
            }
            if (classes < 1) {
                throw new IllegalArgumentException("classes must be at least 1, got " + classes);
            }
            NativeRuntime.ensureConfigured();
            ComputationGraphConfiguration.GraphBuilder graph = new NeuralNetConfiguration.Builder()
                    .seed(seed)
                    .weightInit(WeightInit.XAVIER_UNIFORM)
                    .convolutionMode(ConvolutionMode.Same)
                    .graphBuilder()
                    .addInputs(INPUT)
                    .setInputTypes(InputType.convolutional(inputSize, inputSize, 3));
            CNN2DFormat format = channelsLast ? CNN2DFormat.NHWC : CNN2DFormat.NCHW;
            if (channelsLast) {
                graph.inputPreProcessor("block1_conv1", new ChannelsLast.ToChannelsLast());
            }
            String previous = INPUT;
            for (int b = 0; b < BLOCKS.length; b++) {
                for (int c = 1; c <= BLOCKS[b][1]; c++) {
                    String name = "block" + (b + 1) + "_conv" + c;
                    graph.addLayer(name, new ConvolutionLayer.Builder(3, 3).stride(1, 1).nOut(BLOCKS[b][0])
                            .dataFormat(format).activation(Activation.RELU).build(), previous);
                    previous = name;
                }
                String pool = "block" + (b + 1) + "_pool";
                graph.addLayer(pool, new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                        .dataFormat(format).build(), previous);
                previous = pool;
            }
            int side = inputSize / 32;
            graph.addVertex(FLATTEN, new PreprocessorVertex(new CnnToFeedForwardPreProcessor(side, side, 512, format)),
                    previous);
            graph.addLayer(FC1, new DenseLayer.Builder().nOut(FC_WIDTH).activation(Activation.RELU).build(), FLATTEN);
            graph.addLayer(FC2, new DenseLayer.Builder().nOut(FC_WIDTH).activation(Activation.RELU).build(), FC1);
            if (featuresOnly) {
                graph.setOutputs(FC2);
            } else {
                graph.addLayer(PREDICTIONS, new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(classes)
                        .activation(Activation.SOFTMAX).build(), FC2);
                graph.setOutputs(PREDICTIONS);
            }
            ComputationGraph network = new ComputationGraph(graph.build());
            network.init();
            return NativeRuntime.accelerate(network);
        }
    }
}
