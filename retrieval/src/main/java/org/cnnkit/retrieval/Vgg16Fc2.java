package org.cnnkit.retrieval;

import java.nio.file.Path;
import java.util.Locale;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.zoo.IdleThreads;
import org.cnnkit.zoo.InferenceEngine;
import org.cnnkit.zoo.Vgg16;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * The default feature extractor: the 4096 activations of VGG16's {@code fc2} layer for a 224x224 image with
 * {@link Preprocessing#VGG16_CAFFE} pixels, as the notebook this library replaces.
 *
 * <p>Build one with {@link #builder()}: with Keras's ImageNet weights (from the cache or downloaded, or a given
 * file), DL4J's zoo weights ({@link Builder#optWeights(Path)} with the {@code .zip} file), or random weights (for
 * tests and benchmarks: useless for retrieval).
 */
public final class Vgg16Fc2 extends GraphFeatureExtractor {

    /** The name recorded as the model of this extractor's identity. */
    public static final String MODEL = "vgg16/fc2";

    private Vgg16Fc2(ComputationGraph network, ExtractorIdentity identity, int batchSize, InferenceEngine engine,
            IdleThreads idleThreads) {
        super("vgg16-fc2", network, identity, batchSize, engine, idleThreads);
    }

    /** {@return a builder} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Configures a {@link Vgg16Fc2}: the input size here; weights, seed, batch size (16 by default) and download
     * listener as for every pretrained extractor. A weights file is a Keras HDF5 file such as
     * {@code vgg16_weights_tf_dim_ordering_tf_kernels.h5}, or DL4J's zoo file {@code vgg16_dl4j_inference.zip}
     * (recognised by its {@code .zip} name); the pretrained weights are {@link Vgg16#KERAS_WEIGHTS}.
     */
    public static final class Builder extends PretrainedExtractorBuilder<Builder> {
        private int inputSize = Vgg16.PRETRAINED_SIZE;

        private Builder() {
            super(16);
        }

        /**
         * Sets the input size (224 by default, the size of the pretrained weights; a multiple of 32).
         *
         * @param size pixels
         * @return this builder
         */
        public Builder optInputSize(int size) {
            this.inputSize = size;
            return this;
        }

        /**
         * Builds the network, loads the weights, and returns the extractor.
         *
         * @return the extractor
         * @throws org.cnnkit.core.CnnkitException if the weights cannot be found, downloaded, read or do not fit
         * @throws IllegalArgumentException if a size is invalid
         */
        public Vgg16Fc2 build() {
            // Channels-last inside (same features, faster convolutions); the loaders order fc1's rows to match.
            ComputationGraph network = Vgg16.builder().optInputSize(inputSize).optFeaturesOnly(true).optSeed(seed())
                    .optChannelsLast(true).build();
            Path weights = weights();
            String checksum;
            if (weights != null && weights.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".zip")) {
                Vgg16.loadDl4jZoo(network, weights);
                checksum = fileChecksum(weights);
            } else {
                checksum = loadWeights(network, () -> Vgg16.KERAS_WEIGHTS, file -> Vgg16.loadKerasWeights(network, file));
            }
            ExtractorIdentity identity = new ExtractorIdentity(MODEL, checksum,
                    InputShape.rgb(inputSize), Preprocessing.VGG16_CAFFE, Vgg16.FC_WIDTH);
            return new Vgg16Fc2(network, identity, batchSize(), engine(), idleThreads());
        }
    }
}
