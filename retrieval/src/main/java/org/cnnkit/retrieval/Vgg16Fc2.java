package org.cnnkit.retrieval;

import java.nio.file.Path;
import java.util.Objects;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.zoo.Vgg16;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The default feature extractor: the 4096 activations of VGG16's {@code fc2} layer for a 224x224 image with
 * {@link Preprocessing#VGG16_CAFFE} pixels, as the notebook this library replaces.
 *
 * <p>Build one with {@link #builder()}: with DL4J's zoo weights ({@link Builder#optDl4jZooWeights(Path)}), or
 * random weights (for tests and benchmarks: useless for retrieval).
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
        private Path dl4jZoo;
        private int batchSize = 16;

        private Builder() {
        }

        /**
         * Loads the weights of DL4J's zoo file {@code vgg16_dl4j_inference.zip}; random weights otherwise.
         *
         * @param zip the file
         * @return this builder
         */
        public Builder optDl4jZooWeights(Path zip) {
            this.dl4jZoo = Objects.requireNonNull(zip, "zip");
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
         * Sets the seed of random weights (used when no weights file is given).
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
         * Builds the network and the extractor.
         *
         * @return the extractor
         * @throws org.cnnkit.core.CnnkitException if the weights file cannot be read or does not fit
         * @throws IllegalArgumentException if a size is invalid
         */
        public Vgg16Fc2 build() {
            ComputationGraph network = Vgg16.builder().optInputSize(inputSize).optFeaturesOnly(true).optSeed(seed).build();
            if (dl4jZoo != null) {
                Vgg16.loadDl4jZoo(network, dl4jZoo);
            }
            ExtractorIdentity identity = new ExtractorIdentity(MODEL, parameterChecksum(network),
                    InputShape.rgb(inputSize), Preprocessing.VGG16_CAFFE, Vgg16.FC_WIDTH);
            return new Vgg16Fc2(network, identity, batchSize);
        }
    }
}
