package org.cnnkit.zoo;

import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.function.DoubleConsumer;
import org.cnnkit.core.runtime.NativeRuntime;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Fine-tunes a MobileNetV2 classifier (base + GlobalAveragePooling + Dense(hidden, relu) + Dense(classes, softmax)) as
 * Keras' transfer-learning guide does: the last {@code k} inverted residual blocks, {@code Conv_1} and the head train,
 * everything before them stays frozen, and every batch normalization stays in inference mode (running statistics,
 * never updated; the trainable ones still learn gamma and beta: {@link InferenceModeBatchNormalization}). The
 * {@link TransferLearner}'s fine-tuning stage runs on it, and so does the benchmark workload
 * {@code mnv2-a0.35-finetune-100}.
 *
 * <p><b>Fast path</b> (the default unless {@code -Dcnnkit.fastpaths=false}): a step runs the frozen part as a
 * compiled inference plan, without keeping its activations or computing its gradients, and trains only the rest as
 * a {@link org.cnnkit.core.training.CompiledTrainingStep} ({@link FrozenPrefixTrainer}); the weights after each step
 * equal those of DL4J's {@code fit} of the whole graph, the plain path, up to float rounding.
 *
 * <pre>{@code
 * MobileNetV2FineTuning fineTuning = MobileNetV2FineTuning.builder()
 *         .setArchitecture(MobileNetV2.builder().optAlpha(0.35).setInputShape(InputShape.rgb(100)).build())
 *         .setNumClasses(3).optWeightsFrom(trainedClassifierOrBase).optTrainableBlocks(3)
 *         .build();
 * for (DataSet batch : batches) {
 *     fineTuning.fit(batch);
 * }
 * ComputationGraph tuned = fineTuning.trainedNetwork();
 * }</pre>
 */
public final class MobileNetV2FineTuning {

    private final MobileNetV2 architecture;
    private final String frozenUpTo;
    private final ComputationGraph network;
    private final FrozenPrefixTrainer fastPath;

    private MobileNetV2FineTuning(Builder b) {
        this.architecture = b.architecture;
        this.frozenUpTo = b.architecture.frozenUpToForLastBlocks(b.trainableBlocks);
        ComputationGraph base = architecture.newGraph();
        if (b.weightsFrom != null) {
            GraphCut.copyParameters(b.weightsFrom, base);
        }
        ComputationGraph classifier = TransferNetworks.classifier(base, frozenUpTo, architecture.outputChannels(),
                b.hiddenUnits, b.numClasses, b.learningRate, b.seed, null);
        if (b.weightsFrom != null) {
            GraphCut.copyParameters(b.weightsFrom, classifier); // the head's layers, when weightsFrom has them
        }
        this.network = withTrainableBatchNormalizations(classifier, true);
        this.fastPath = b.fastPath ? FrozenPrefixTrainer.split(network, frozenUpTo, architecture.inputShape()) : null;
    }

    /**
     * Returns a builder; the architecture and the number of classes are required.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return the last frozen vertex: everything up to it stays as loaded} */
    public String frozenUpTo() {
        return frozenUpTo;
    }

    /** {@return whether steps run the frozen part as a compiled inference plan (the fast path)} */
    public boolean usesFastPath() {
        return fastPath != null;
    }

    /**
     * {@return whether the fast path trains the unfrozen layers as a compiled training step (else with DL4J's
     * {@code fit})}
     */
    public boolean usesCompiledTrainingStep() {
        return fastPath != null && fastPath.compiledTail();
    }

    /**
     * Makes one training step (Adam) on a batch.
     *
     * @param batch NCHW images of the architecture's input shape, preprocessed for MobileNetV2, and one-hot labels
     * @return the batch's loss before the step
     */
    public double fit(DataSet batch) {
        Objects.requireNonNull(batch, "batch");
        if (fastPath != null) {
            return fastPath.fit(batch);
        }
        network.fit(batch);
        return network.score();
    }

    /**
     * Makes one training step (Adam) per batch, in order: the same steps as {@link #fit(DataSet)} on each batch. On
     * the fast path the frozen part of the next batch runs while the unfrozen layers train on the current one.
     *
     * @param batches NCHW images of the architecture's input shape, preprocessed for MobileNetV2, and one-hot labels
     * @param losses receives each batch's loss before its step, in order
     */
    public void fit(Iterator<DataSet> batches, DoubleConsumer losses) {
        Objects.requireNonNull(batches, "batches");
        Objects.requireNonNull(losses, "losses");
        if (fastPath != null) {
            fastPath.fitAll(batches, losses);
            return;
        }
        while (batches.hasNext()) {
            losses.accept(fit(batches.next()));
        }
    }

    /**
     * Returns the network being trained, with the current weights: its trainable batch normalizations are
     * {@link InferenceModeBatchNormalization}s. For evaluation between steps; save {@link #trainedNetwork()}.
     *
     * @return the network (the same object on every call)
     */
    public ComputationGraph network() {
        return fastPath != null ? fastPath.network() : network;
    }

    /**
     * Returns a copy of the trained network with plain DL4J batch normalizations, as every cnnkit network has: the
     * one to save, infer with or export.
     *
     * @return a new graph with the current weights
     */
    public ComputationGraph trainedNetwork() {
        return withTrainableBatchNormalizations(network(), false);
    }

    /**
     * A copy of the graph (same weights) whose batch normalizations outside frozen wrappers are inference-mode
     * ones, or plain ones again.
     */
    private static ComputationGraph withTrainableBatchNormalizations(ComputationGraph graph, boolean inferenceMode) {
        ComputationGraphConfiguration conf = graph.getConfiguration().clone();
        for (Map.Entry<String, GraphVertex> entry : conf.getVertices().entrySet()) {
            if (entry.getValue() instanceof LayerVertex vertex) {
                org.deeplearning4j.nn.conf.layers.Layer layer = vertex.getLayerConf().getLayer();
                if (inferenceMode && layer.getClass() == BatchNormalization.class) {
                    vertex.getLayerConf().setLayer(InferenceModeBatchNormalization.of((BatchNormalization) layer));
                } else if (!inferenceMode && layer instanceof InferenceModeBatchNormalization inference) {
                    vertex.getLayerConf().setLayer(inference.toPlain());
                }
            }
        }
        ComputationGraph copy = new ComputationGraph(conf);
        copy.init(graph.params().dup(), false);
        return NativeRuntime.accelerate(copy);
    }

    /** Builds a {@link MobileNetV2FineTuning}. */
    public static final class Builder {

        private MobileNetV2 architecture;
        private int numClasses;
        private ComputationGraph weightsFrom;
        private int trainableBlocks = 3;
        private double learningRate = 1e-4;
        private int hiddenUnits = 128;
        private long seed = 42;
        private boolean fastPath = NativeRuntime.fastPathsEnabled();

        private Builder() {
        }

        /**
         * Sets the MobileNetV2 architecture (alpha, input shape).
         *
         * @param architecture the architecture
         * @return this builder
         */
        public Builder setArchitecture(MobileNetV2 architecture) {
            this.architecture = Objects.requireNonNull(architecture, "architecture");
            return this;
        }

        /**
         * Sets the number of classes of the head.
         *
         * @param numClasses at least 2
         * @return this builder
         */
        public Builder setNumClasses(int numClasses) {
            this.numClasses = numClasses;
            return this;
        }

        /**
         * Starts from the weights of another graph, layer by layer by name: a MobileNetV2 base with pretrained
         * weights, or a whole classifier whose head was trained (default: random weights, for benchmarks).
         *
         * @param graph the graph to copy weights from; its layers of the same names must have the same shapes
         * @return this builder
         */
        public Builder optWeightsFrom(ComputationGraph graph) {
            this.weightsFrom = Objects.requireNonNull(graph, "graph");
            return this;
        }

        /**
         * Sets how many of the last inverted residual blocks train, with {@code Conv_1} and the head (default 3:
         * Keras' {@code block_14} to {@code block_16}).
         *
         * @param blocks 0 to 17
         * @return this builder
         */
        public Builder optTrainableBlocks(int blocks) {
            this.trainableBlocks = blocks;
            return this;
        }

        /**
         * Sets the Adam learning rate (default 1e-4).
         *
         * @param learningRate positive
         * @return this builder
         */
        public Builder optLearningRate(double learningRate) {
            this.learningRate = learningRate;
            return this;
        }

        /**
         * Sets the width of the head's hidden dense layer (default 128).
         *
         * @param hiddenUnits at least 1
         * @return this builder
         */
        public Builder optHiddenUnits(int hiddenUnits) {
            this.hiddenUnits = hiddenUnits;
            return this;
        }

        /**
         * Sets the seed of the head's initialisation when no weights are given for it (default 42).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Sets whether steps take the fast path (default: on unless {@code -Dcnnkit.fastpaths=false}); off, every step
         * is DL4J's {@code fit} of the whole graph.
         *
         * @param fastPath whether to run the frozen part as a compiled inference plan
         * @return this builder
         */
        public Builder optFastPath(boolean fastPath) {
            this.fastPath = fastPath;
            return this;
        }

        /**
         * Builds the network to fine-tune.
         *
         * @return the fine-tuning
         * @throws IllegalArgumentException if the architecture is missing or a setting is out of range
         * @throws org.cnnkit.core.CnnkitException if {@code optWeightsFrom}'s layers do not fit the architecture
         */
        public MobileNetV2FineTuning build() {
            if (architecture == null) {
                throw new IllegalArgumentException("MobileNetV2FineTuning: setArchitecture(...) is required");
            }
            if (numClasses < 2 || hiddenUnits < 1 || !(learningRate > 0)) {
                throw new IllegalArgumentException("fine-tuning needs at least 2 classes, 1 hidden unit and a positive"
                        + " learning rate, got " + numClasses + ", " + hiddenUnits + ", " + learningRate);
            }
            if (trainableBlocks < 0 || trainableBlocks > MobileNetV2.BLOCK_COUNT) {
                throw new IllegalArgumentException("trainable blocks must be 0 to " + MobileNetV2.BLOCK_COUNT + ", got "
                        + trainableBlocks);
            }
            return new MobileNetV2FineTuning(this);
        }
    }
}
