package org.cnnkit.zoo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.runtime.NativeRuntime;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * MobileNetV2 without its classification top ({@code include_top=False} in Keras), built natively as a DL4J
 * {@link ComputationGraph} that is layer for layer the network of {@code keras.applications.MobileNetV2}.
 *
 * <p>Every Keras alpha (width multiplier) is supported, with the channel counts rounded exactly as Keras does
 * ({@code _make_divisible(v, 8)}); the last convolution has 1280 channels, or {@code 1280 * alpha} rounded when
 * alpha is above 1. Any input size from 32x32 up works: before each stride-2 convolution a zero padding layer pads
 * like Keras' {@code correct_pad} (one extra row and column at the bottom and right for even sizes, one on every side
 * for odd sizes), and the stride-1 depthwise convolutions pad one pixel on every side ({@code 'same'}).
 *
 * <p>The vertices carry the Keras layer names ({@code Conv1}, {@code bn_Conv1}, {@code Conv1_relu},
 * {@code expanded_conv_depthwise}, ..., {@code block_16_project_BN}, {@code Conv_1}, {@code Conv_1_bn},
 * {@code out_relu}), so that Keras weights load by name with {@link org.cnnkit.zoo.weights.KerasWeights}.
 * BatchNormalization uses epsilon 1e-3 and momentum (DL4J decay) 0.999, activations are ReLU6, and
 * convolutions have no bias, all as in Keras.
 *
 * <p>The graph takes one input, {@value #INPUT_NAME}, NCHW {@code [N, 3, height, width]}, with pixels already
 * scaled to [-1, 1] ({@link org.cnnkit.core.image.Preprocessing#MOBILENET_V2}), and has one output,
 * {@value #OUTPUT_NAME}, of shape {@code [N, outputChannels(), outputHeight(), outputWidth()]}.
 *
 * <pre>{@code
 * MobileNetV2 mobileNet = MobileNetV2.builder().optAlpha(0.35).setInputShape(InputShape.rgb(224)).build();
 * ComputationGraph graph = mobileNet.newGraph();          // random weights
 * try (KerasWeights weights = KerasWeights.open(file)) {   // ImageNet weights
 *     weights.loadInto(graph);
 * }
 * }</pre>
 *
 * <p>Instances are immutable and thread-safe; each {@link #newGraph()} call builds a new network.
 */
public final class MobileNetV2 {

    /** The name of the graph's input, as in Keras. */
    public static final String INPUT_NAME = "input_1";

    /** The name of the graph's output vertex, the final ReLU6, as in Keras. */
    public static final String OUTPUT_NAME = "out_relu";

    /** The name of the global average pooling vertex that {@link #withGlobalAveragePooling} adds, as in Keras. */
    public static final String POOLED_OUTPUT_NAME = "global_average_pooling2d";

    /** The alphas (width multipliers) for which Keras defines MobileNetV2 and publishes ImageNet weights. */
    public static final List<Double> KERAS_ALPHAS = List.of(0.35, 0.5, 0.75, 1.0, 1.3, 1.4);

    /** The number of inverted residual blocks: 0 ({@code expanded_conv}) to 16. */
    public static final int BLOCK_COUNT = 17;

    /** The smallest input height and width. */
    public static final int MIN_INPUT_SIZE = 32;

    private static final double BN_EPSILON = 1e-3;
    private static final double BN_MOMENTUM = 0.999;

    /** Per block: base filters, stride, expansion, as in Keras' {@code MobileNetV2}. */
    private static final int[][] BLOCKS = {
        {16, 1, 1},
        {24, 2, 6}, {24, 1, 6},
        {32, 2, 6}, {32, 1, 6}, {32, 1, 6},
        {64, 2, 6}, {64, 1, 6}, {64, 1, 6}, {64, 1, 6},
        {96, 1, 6}, {96, 1, 6}, {96, 1, 6},
        {160, 2, 6}, {160, 1, 6}, {160, 1, 6},
        {320, 1, 6},
    };

    private final double alpha;
    private final InputShape inputShape;
    private final long seed;
    private final int outputHeight;
    private final int outputWidth;

    private MobileNetV2(Builder builder) {
        this.alpha = builder.alpha;
        this.inputShape = builder.inputShape;
        this.seed = builder.seed;
        int h = inputShape.height();
        int w = inputShape.width();
        for (int i = 0; i < 1 + countStride2Blocks(); i++) {
            h = stride2Output(h);
            w = stride2Output(w);
        }
        this.outputHeight = h;
        this.outputWidth = w;
    }

    /**
     * Returns a builder; {@link Builder#setInputShape(InputShape)} is required.
     *
     * @return a new builder with alpha 1.0 and seed 42
     */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return the width multiplier} */
    public double alpha() {
        return alpha;
    }

    /** {@return the input shape: height x width x 3} */
    public InputShape inputShape() {
        return inputShape;
    }

    /** {@return the seed of the random weight initialisation} */
    public long seed() {
        return seed;
    }

    /** {@return the channel count of the output {@value #OUTPUT_NAME}: 1280, or more for alpha above 1} */
    public int outputChannels() {
        return alpha > 1.0 ? makeDivisible(1280 * alpha, 8) : 1280;
    }

    /** {@return the output height: the input height divided by 32, rounded up} */
    public int outputHeight() {
        return outputHeight;
    }

    /** {@return the output width: the input width divided by 32, rounded up} */
    public int outputWidth() {
        return outputWidth;
    }

    /**
     * Returns the Keras name prefix of an inverted residual block: {@code "expanded_conv_"} for block 0,
     * {@code "block_<i>_"} otherwise.
     *
     * @param block the block index, 0 to 16
     * @return the prefix shared by the block's layer names
     * @throws IllegalArgumentException if the index is out of range
     */
    public static String blockPrefix(int block) {
        checkBlock(block);
        return block == 0 ? "expanded_conv_" : "block_" + block + "_";
    }

    /**
     * Returns the name of the vertex that ends a block: {@code <prefix>add} when the block has a residual
     * connection (stride 1 and as many channels out as in), else {@code <prefix>project_BN}.
     *
     * @param block the block index, 0 to 16
     * @return the vertex name
     * @throws IllegalArgumentException if the index is out of range
     */
    public String blockOutput(int block) {
        checkBlock(block);
        int channels = makeDivisible(32 * alpha, 8);
        for (int b = 0; b < block; b++) {
            channels = blockFilters(b);
        }
        boolean residual = BLOCKS[block][1] == 1 && channels == blockFilters(block);
        return blockPrefix(block) + (residual ? "add" : "project_BN");
    }

    /**
     * Returns the vertex up to which the network stays frozen when its last {@code k} blocks (and the final
     * {@code Conv_1}) are fine-tuned: the output of block {@code 16 - k}, or {@code Conv1_relu} for all 17.
     *
     * @param k the number of blocks to train, 0 to 17 (0 trains {@code Conv_1} and {@code Conv_1_bn} only)
     * @return the vertex name to pass to DL4J's {@code setFeatureExtractor}
     * @throws IllegalArgumentException if {@code k} is out of range
     */
    public String frozenUpToForLastBlocks(int k) {
        if (k < 0 || k > BLOCK_COUNT) {
            throw new IllegalArgumentException("k must be 0 to " + BLOCK_COUNT + ", got " + k);
        }
        return k == BLOCK_COUNT ? "Conv1_relu" : blockOutput(BLOCK_COUNT - 1 - k);
    }

    private int blockFilters(int block) {
        return makeDivisible((int) (BLOCKS[block][0] * alpha), 8);
    }

    /**
     * Returns the names of the layers with parameters of the last {@code k} blocks plus the final
     * {@code Conv_1}/{@code Conv_1_bn}, in network order: what to unfreeze to fine-tune the top of the network.
     *
     * @param k the number of inverted residual blocks to include, 0 to 17
     * @return the layer names, never empty ({@code Conv_1} and {@code Conv_1_bn} are always included)
     * @throws IllegalArgumentException if {@code k} is out of range
     */
    public static List<String> trainableLayersOfLastBlocks(int k) {
        if (k < 0 || k > BLOCK_COUNT) {
            throw new IllegalArgumentException("k must be 0 to " + BLOCK_COUNT + ", got " + k);
        }
        List<String> names = new ArrayList<>();
        for (int block = BLOCK_COUNT - k; block < BLOCK_COUNT; block++) {
            String prefix = blockPrefix(block);
            if (block > 0) {
                names.add(prefix + "expand");
                names.add(prefix + "expand_BN");
            }
            names.add(prefix + "depthwise");
            names.add(prefix + "depthwise_BN");
            names.add(prefix + "project");
            names.add(prefix + "project_BN");
        }
        names.add("Conv_1");
        names.add("Conv_1_bn");
        return Collections.unmodifiableList(names);
    }

    /**
     * Builds the network configuration.
     *
     * @return a new configuration with input {@value #INPUT_NAME} and output {@value #OUTPUT_NAME}
     */
    public ComputationGraphConfiguration configuration() {
        NativeRuntime.ensureConfigured();
        ComputationGraphConfiguration.GraphBuilder graph = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .weightInit(WeightInit.XAVIER_UNIFORM)
                .convolutionMode(ConvolutionMode.Truncate)
                .graphBuilder()
                .addInputs(INPUT_NAME)
                .setInputTypes(InputType.convolutional(inputShape.height(), inputShape.width(), 3));

        int h = inputShape.height();
        int w = inputShape.width();
        int firstFilters = makeDivisible(32 * alpha, 8);
        graph.addLayer("Conv1_pad", correctPad(h, w), INPUT_NAME);
        graph.addLayer("Conv1", conv(firstFilters, 3, 2), "Conv1_pad");
        graph.addLayer("bn_Conv1", batchNorm(), "Conv1");
        graph.addLayer("Conv1_relu", relu6(), "bn_Conv1");
        h = stride2Output(h);
        w = stride2Output(w);

        String x = "Conv1_relu";
        int channels = firstFilters;
        for (int block = 0; block < BLOCK_COUNT; block++) {
            int filters = blockFilters(block);
            int stride = BLOCKS[block][1];
            int expansion = BLOCKS[block][2];
            String prefix = blockPrefix(block);
            String input = x;
            if (block > 0) {
                graph.addLayer(prefix + "expand", conv(expansion * channels, 1, 1), x);
                graph.addLayer(prefix + "expand_BN", batchNorm(), prefix + "expand");
                graph.addLayer(prefix + "expand_relu", relu6(), prefix + "expand_BN");
                x = prefix + "expand_relu";
            }
            if (stride == 2) {
                graph.addLayer(prefix + "pad", correctPad(h, w), x);
                x = prefix + "pad";
                h = stride2Output(h);
                w = stride2Output(w);
            }
            graph.addLayer(prefix + "depthwise", depthwise(stride), x);
            graph.addLayer(prefix + "depthwise_BN", batchNorm(), prefix + "depthwise");
            graph.addLayer(prefix + "depthwise_relu", relu6(), prefix + "depthwise_BN");
            graph.addLayer(prefix + "project", conv(filters, 1, 1), prefix + "depthwise_relu");
            graph.addLayer(prefix + "project_BN", batchNorm(), prefix + "project");
            x = prefix + "project_BN";
            if (channels == filters && stride == 1) {
                graph.addVertex(prefix + "add", new ElementWiseVertex(ElementWiseVertex.Op.Add), input, x);
                x = prefix + "add";
            }
            channels = filters;
        }

        graph.addLayer("Conv_1", conv(outputChannels(), 1, 1), x);
        graph.addLayer("Conv_1_bn", batchNorm(), "Conv_1");
        graph.addLayer(OUTPUT_NAME, relu6(), "Conv_1_bn");
        graph.setOutputs(OUTPUT_NAME);
        return graph.build();
    }

    /**
     * Builds and initialises a new network with random weights (Glorot uniform convolutions, BatchNormalization
     * with gamma 1, beta 0, mean 0, variance 1), seeded with {@link #seed()}.
     *
     * @return a new, initialised graph
     */
    public ComputationGraph newGraph() {
        ComputationGraph graph = new ComputationGraph(configuration());
        graph.init();
        return NativeRuntime.accelerate(graph);
    }

    /**
     * Returns a copy of a MobileNetV2 graph (with its current weights) whose output is the global average of
     * {@value #OUTPUT_NAME} over height and width: {@code [N, channels]} feature vectors, the {@code pooling='avg'}
     * of Keras. The copy is for inference; its BatchNormalization layers still update their statistics if it is
     * trained.
     *
     * @param graph a graph made by {@link #newGraph()}, with weights loaded
     * @return a new graph with output {@value #POOLED_OUTPUT_NAME}
     */
    public static ComputationGraph withGlobalAveragePooling(ComputationGraph graph) {
        return NativeRuntime.accelerate(new TransferLearning.GraphBuilder(graph)
                .addLayer(POOLED_OUTPUT_NAME, new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), OUTPUT_NAME)
                .setOutputs(POOLED_OUTPUT_NAME)
                .build());
    }

    /**
     * Keras' {@code _make_divisible}: rounds {@code v} to the nearest multiple of {@code divisor}, at least
     * {@code divisor}, and never more than 10% below {@code v}.
     *
     * @param v the unrounded channel count
     * @param divisor the multiple to round to
     * @return the rounded channel count
     */
    static int makeDivisible(double v, int divisor) {
        int rounded = Math.max(divisor, (int) (v + divisor / 2.0) / divisor * divisor);
        if (rounded < 0.9 * v) {
            rounded += divisor;
        }
        return rounded;
    }

    /** The output size of a 3x3, stride-2 convolution after Keras' correct_pad. */
    static int stride2Output(int size) {
        int padded = size + padBefore(size) + 1;
        return (padded - 3) / 2 + 1;
    }

    /** Keras' correct_pad for a 3x3 kernel: (0, 1) for even sizes, (1, 1) for odd sizes. */
    private static int padBefore(int size) {
        return size % 2 == 0 ? 0 : 1;
    }

    private static int countStride2Blocks() {
        int count = 0;
        for (int[] block : BLOCKS) {
            if (block[1] == 2) {
                count++;
            }
        }
        return count;
    }

    private static void checkBlock(int block) {
        if (block < 0 || block >= BLOCK_COUNT) {
            throw new IllegalArgumentException("block must be 0 to " + (BLOCK_COUNT - 1) + ", got " + block);
        }
    }

    private static ZeroPaddingLayer correctPad(int h, int w) {
        return new ZeroPaddingLayer.Builder(padBefore(h), 1, padBefore(w), 1).build();
    }

    private static ConvolutionLayer conv(int filters, int kernel, int stride) {
        return new ConvolutionLayer.Builder(kernel, kernel)
                .stride(stride, stride)
                .padding(0, 0)
                .nOut(filters)
                .hasBias(false)
                .activation(Activation.IDENTITY)
                .build();
    }

    private static DepthwiseConvolution2D depthwise(int stride) {
        int pad = stride == 1 ? 1 : 0; // 'same' for stride 1; stride 2 follows an explicit correct_pad layer
        return new DepthwiseConvolution2D.Builder(3, 3)
                .stride(stride, stride)
                .padding(pad, pad)
                .depthMultiplier(1)
                .hasBias(false)
                .activation(Activation.IDENTITY)
                .build();
    }

    private static BatchNormalization batchNorm() {
        return new BatchNormalization.Builder()
                .eps(BN_EPSILON)
                .decay(BN_MOMENTUM)
                .useLogStd(false)
                .build();
    }

    private static ActivationLayer relu6() {
        return new ActivationLayer.Builder().activation(Activation.RELU6).build();
    }

    /**
     * Builds a {@link MobileNetV2}: {@code setInputShape} is required, alpha defaults to 1.0 and the seed to 42.
     */
    public static final class Builder {

        private double alpha = 1.0;
        private InputShape inputShape;
        private long seed = 42;

        private Builder() {
        }

        /**
         * Sets the width multiplier; every value in {@link #KERAS_ALPHAS} has Keras ImageNet weights, other
         * positive values build a network with random weights only.
         *
         * @param alpha the width multiplier, above 0
         * @return this builder
         */
        public Builder optAlpha(double alpha) {
            this.alpha = alpha;
            return this;
        }

        /**
         * Sets the input size (required): 3 channels, height and width at least {@value #MIN_INPUT_SIZE}.
         *
         * @param inputShape the input shape
         * @return this builder
         */
        public Builder setInputShape(InputShape inputShape) {
            this.inputShape = inputShape;
            return this;
        }

        /**
         * Sets the seed of the random weight initialisation (default 42).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Validates the settings and returns the network description.
         *
         * @return the network description
         * @throws IllegalArgumentException if the input shape is missing, not 3 channels or smaller than
         *     {@value #MIN_INPUT_SIZE} on a side, or if alpha is not a positive finite number
         */
        public MobileNetV2 build() {
            if (inputShape == null) {
                throw new IllegalArgumentException("MobileNetV2: setInputShape(...) is required");
            }
            if (inputShape.channels() != 3) {
                throw new IllegalArgumentException(
                        "MobileNetV2 takes RGB input (3 channels), got input shape " + inputShape);
            }
            if (inputShape.height() < MIN_INPUT_SIZE || inputShape.width() < MIN_INPUT_SIZE) {
                throw new IllegalArgumentException("MobileNetV2 input must be at least " + MIN_INPUT_SIZE + "x"
                        + MIN_INPUT_SIZE + ", got " + inputShape);
            }
            if (!(alpha > 0) || Double.isInfinite(alpha)) {
                throw new IllegalArgumentException("MobileNetV2 alpha must be a positive number, got " + alpha);
            }
            return new MobileNetV2(this);
        }
    }
}
