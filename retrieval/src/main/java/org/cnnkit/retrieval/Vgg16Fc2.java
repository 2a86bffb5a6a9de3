package org.cnnkit.retrieval;

import java.nio.file.Path;
import java.util.Objects;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.zoo.Vgg16;
import org.cnnkit.zoo.weights.PretrainedWeights;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

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

    private Vgg16Fc2(ComputationGraph network, ExtractorIdentity identity, int batchSize) {
        super("vgg16-fc2", network, identity, batchSize);
    }

    /** Returns a builder. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    INDArray toFeatures(INDArray output) {
        return output;
    }

    /** Configures a {@link Vgg16Fc2}. */
    public static final class Builder {
        private int inputSize = Vgg16.PRETRAINED_SIZE;
        private long seed = 42;
        private Path weights;
        private boolean pretrained = true;
        private int batchSize = 16;
        private ProgressListener downloadListener = ProgressListener.none();

        private Builder() {
        }

        /**
         * Uses this weights file instead of the cached or downloaded Keras one: a Keras HDF5 file such as
         * {@code vgg16_weights_tf_dim_ordering_tf_kernels.h5}, or DL4J's zoo file {@code vgg16_dl4j_inference.zip}
         * (recognised by its {@code .zip} name).
         *
         * @param file the weights file
         * @return this builder
         */
        public Builder optWeights(Path file) {
            this.weights = Objects.requireNonNull(file, "file");
            return this;
        }

        /**
         * Chooses pretrained (true, the default: {@link Vgg16#KERAS_WEIGHTS} from the cache or a download) or random
         * weights (false: for tests and benchmarks only).
         *
         * @param pretrained whether to load ImageNet weights
         * @return this builder
         */
        public Builder optPretrained(boolean pretrained) {
            this.pretrained = pretrained;
            return this;
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
         * Sets the seed of random weights (used when no weights are loaded).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Sets how many images go through the network at once (16 by default).
         *
         * @param batchSize at least 1
         * @return this builder
         */
        public Builder optBatchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Receives progress of a weights download.
         *
         * @param listener the listener
         * @return this builder
         */
        public Builder optDownloadListener(ProgressListener listener) {
            this.downloadListener = Objects.requireNonNull(listener, "listener");
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
            ComputationGraph network = Vgg16.builder().optInputSize(inputSize).optFeaturesOnly(true).optSeed(seed)
                    .optChannelsLast(true).build();
            String checksum;
            if (weights != null && weights.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".zip")) {
                Vgg16.loadDl4jZoo(network, weights);
                checksum = fileChecksum(weights);
            } else if (weights != null || pretrained) {
                PretrainedWeights resolver = PretrainedWeights.builder().optProgressListener(downloadListener).build();
                Path file = weights != null ? resolver.resolve(weights) : resolver.resolve(Vgg16.KERAS_WEIGHTS);
                Vgg16.loadKerasWeights(network, file);
                checksum = fileChecksum(file);
            } else {
                checksum = parameterChecksum(network);
            }
            ExtractorIdentity identity = new ExtractorIdentity(MODEL, checksum,
                    InputShape.rgb(inputSize), Preprocessing.VGG16_CAFFE, Vgg16.FC_WIDTH);
            return new Vgg16Fc2(network, identity, batchSize);
        }
    }
}
