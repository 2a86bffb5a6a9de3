package org.cnnkit.zoo;

import java.util.List;
import java.util.Locale;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.runtime.NativeRuntime;
import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The small CNNs of the notebook, trained from scratch, as presets of one factory.
 *
 * <ul>
 *   <li>{@link #NOTEBOOK}: Conv2D 24 5x5 relu, MaxPool 2x2, Conv2D 12 5x5 relu, MaxPool 4x4, Flatten,
 *       Dense 128 relu, Dense n softmax. For 100x100 input the flattened features are 12 x 11 x 11 = 1452.</li>
 *   <li>{@link #DEEPER}: the notebook's second experiment: Conv2D 32 3x3, MaxPool 2, Conv2D 64 3x3, MaxPool 2,
 *       Conv2D 128 3x3, MaxPool 2, Dense 128 relu, Dense n softmax (all convolutions relu).</li>
 * </ul>
 *
 * <p>Like Keras' defaults: valid padding (no padding, sizes rounded down), pooling stride equal to its size,
 * Glorot-uniform weights, zero biases; Adam with learning rate 1e-3 and categorical cross-entropy. Layers are
 * named {@code conv1, pool1, conv2, pool2, [conv3, pool3,] dense, output}; the input is {@code "input"}.
 *
 * <pre>{@code
 * ComputationGraph net = SeedCnn.NOTEBOOK.create(InputShape.rgb(100), 3, 42);
 * }</pre>
 */
public enum SeedCnn implements NetworkFactory {

    /** The notebook's network: conv 24@5x5, pool 2, conv 12@5x5, pool 4, dense 128, softmax. */
    NOTEBOOK(List.of(new Block(24, 5, 2), new Block(12, 5, 4))),

    /** The notebook's second experiment: conv 32@3x3, pool 2, conv 64@3x3, pool 2, conv 128@3x3, pool 2, dense 128. */
    DEEPER(List.of(new Block(32, 3, 2), new Block(64, 3, 2), new Block(128, 3, 2)));

    /** The width of the hidden dense layer. */
    public static final int DENSE_UNITS = 128;

    /** The learning rate of the Adam updater a new network starts with. */
    public static final double DEFAULT_LEARNING_RATE = 1e-3;

    /** One convolution (valid padding, stride 1, relu) followed by a max pooling of size = stride. */
    private record Block(int filters, int kernel, int pool) {
        int outputSize(int input) {
            int convolved = input - kernel + 1;
            return convolved < 1 ? 0 : convolved / pool;
        }
    }

    private final List<Block> blocks;

    SeedCnn(List<Block> blocks) {
        this.blocks = blocks;
    }

    @Override
    public String modelName() {
        return "seedcnn-" + name().toLowerCase(Locale.ROOT);
    }

    /**
     * Returns the smallest height (or width) this architecture accepts: below it a feature map would vanish.
     *
     * @return the minimum side in pixels (20 for {@link #NOTEBOOK}, 22 for {@link #DEEPER})
     */
    public int minimumInputSize() {
        int size = 1;
        while (featureSize(size) < 1) {
            size++;
        }
        return size;
    }

    /**
     * Returns the side of the last feature map for an input side, or 0 if the input is too small.
     *
     * @param inputSize the input height or width
     * @return the feature map side after the last pooling
     */
    public int featureSize(int inputSize) {
        int size = inputSize;
        for (Block block : blocks) {
            size = block.outputSize(size);
            if (size < 1) {
                return 0;
            }
        }
        return size;
    }

    /**
     * Returns the number of features the flatten step passes to the dense layer for an input shape.
     *
     * @param inputShape the image shape
     * @return filters x height x width of the last feature map (0 if the input is too small)
     */
    public int flattenedFeatures(InputShape inputShape) {
        return blocks.get(blocks.size() - 1).filters()
                * featureSize(inputShape.height()) * featureSize(inputShape.width());
    }

    /**
     * Builds and initializes the network, with an Adam updater at {@link #DEFAULT_LEARNING_RATE}.
     *
     * @param inputShape the image shape (height, width, channels)
     * @param numClasses the number of classes, at least 2
     * @param seed the weight initialization seed
     * @return a new initialized network
     * @throws IllegalArgumentException if {@code numClasses} is below 2
     * @throws CnnkitException if the input is smaller than {@link #minimumInputSize()} on a side
     */
    @Override
    public ComputationGraph create(InputShape inputShape, int numClasses, long seed) {
        if (inputShape == null) {
            throw new IllegalArgumentException("input shape is required");
        }
        if (numClasses < 2) {
            throw new IllegalArgumentException("a classifier needs at least 2 classes, got " + numClasses);
        }
        if (featureSize(inputShape.height()) < 1 || featureSize(inputShape.width()) < 1) {
            throw new CnnkitException("input " + inputShape + " is too small for " + modelName()
                    + ": its convolutions and poolings need at least " + minimumInputSize() + "x"
                    + minimumInputSize() + " pixels");
        }
        NativeRuntime.ensureConfigured();
        ComputationGraphConfiguration.GraphBuilder graph = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .updater(new Adam(DEFAULT_LEARNING_RATE))
                .weightInit(WeightInit.XAVIER_UNIFORM)
                .biasInit(0.0)
                .convolutionMode(ConvolutionMode.Truncate)
                // Keeps each convolution's pre-activation from the forward pass for the backward pass, which otherwise
                // runs the convolution again: the notebook CNN trained at 217-225 against 194-203 images/s.
                .cacheMode(CacheMode.DEVICE)
                .trainingWorkspaceMode(WorkspaceMode.ENABLED)
                .inferenceWorkspaceMode(WorkspaceMode.ENABLED)
                .graphBuilder()
                .addInputs("input")
                .setInputTypes(InputType.convolutional(
                        inputShape.height(), inputShape.width(), inputShape.channels()));
        String previous = "input";
        for (int i = 0; i < blocks.size(); i++) {
            Block block = blocks.get(i);
            String conv = "conv" + (i + 1);
            String pool = "pool" + (i + 1);
            graph.addLayer(conv, new ConvolutionLayer.Builder(block.kernel(), block.kernel())
                    .stride(1, 1)
                    .nOut(block.filters())
                    .activation(Activation.RELU)
                    .build(), previous);
            graph.addLayer(pool, new SubsamplingLayer.Builder(PoolingType.MAX)
                    .kernelSize(block.pool(), block.pool())
                    .stride(block.pool(), block.pool())
                    .build(), conv);
            previous = pool;
        }
        graph.addLayer("dense", new DenseLayer.Builder().nOut(DENSE_UNITS).activation(Activation.RELU).build(),
                previous);
        graph.addLayer("output", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                .nOut(numClasses)
                .activation(Activation.SOFTMAX)
                .build(), "dense");
        graph.setOutputs("output");
        ComputationGraph network = new ComputationGraph(graph.build());
        network.init();
        return NativeRuntime.accelerate(network);
    }
}
