package org.cnnkit.retrieval;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.zoo.InferenceFolding;
import org.cnnkit.zoo.MobileNetV2;
import org.cnnkit.zoo.weights.KerasWeights;
import org.cnnkit.zoo.weights.PretrainedWeights;
import org.cnnkit.zoo.weights.WeightsSource;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Features from MobileNetV2's base: the global average of the {@code out_relu} feature map (1280 values for
 * alpha up to 1), with {@link Preprocessing#MOBILENET_V2} pixels. Smaller and faster than {@link Vgg16Fc2}, and
 * usually better for retrieval once centred and normalised (see {@link SearchSettings#defaults()}).
 *
 * <p>Weights are the keras-applications ImageNet weights without the top: a given file, or the one for the
 * alpha and size from the cache or a download ({@link PretrainedWeights}); or random (for tests).
 */
public final class MobileNetV2Pooled extends GraphFeatureExtractor {

    private MobileNetV2Pooled(String name, ComputationGraph network, ExtractorIdentity identity, int batchSize) {
        super(name, network, identity, batchSize);
    }

    /** Returns a builder. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    INDArray toFeatures(INDArray output) {
        return output.mean(2, 3);
    }

    /** Configures a {@link MobileNetV2Pooled}. */
    public static final class Builder {
        private double alpha = 1.0;
        private int imageSize = 224;
        private Path weights;
        private boolean pretrained = true;
        private long seed = 42;
        private int batchSize = 32;
        private ProgressListener downloadListener = ProgressListener.none();

        private Builder() {
        }

        /**
         * Sets the width multiplier; 1.0 by default. Pretrained weights exist for 0.35, 0.5, 0.75, 1.0, 1.3, 1.4.
         *
         * @param alpha the multiplier
         * @return this builder
         */
        public Builder optAlpha(double alpha) {
            this.alpha = alpha;
            return this;
        }

        /**
         * Sets the input size; 224 by default.
         *
         * @param size pixels (height and width)
         * @return this builder
         */
        public Builder optImageSize(int size) {
            this.imageSize = size;
            return this;
        }

        /**
         * Uses this Keras weights file (no top) instead of the cached or downloaded one.
         *
         * @param file the {@code .h5} file
         * @return this builder
         */
        public Builder optWeights(Path file) {
            this.weights = Objects.requireNonNull(file, "file");
            return this;
        }

        /**
         * Chooses pretrained (true, the default) or random weights (false: for tests and benchmarks only).
         *
         * @param pretrained whether to load ImageNet weights
         * @return this builder
         */
        public Builder optPretrained(boolean pretrained) {
            this.pretrained = pretrained;
            return this;
        }

        /**
         * Sets the seed of random weights.
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Sets how many images go through the network at once; 32 by default.
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
         * @throws org.cnnkit.core.CnnkitException if the weights cannot be found, downloaded or loaded
         * @throws IllegalArgumentException if alpha or the size is invalid
         */
        public MobileNetV2Pooled build() {
            InputShape shape = InputShape.rgb(imageSize);
            MobileNetV2 model = MobileNetV2.builder().optAlpha(alpha).setInputShape(shape).optSeed(seed).build();
            ComputationGraph graph = model.newGraph();
            String checksum;
            if (pretrained || weights != null) {
                PretrainedWeights resolver = PretrainedWeights.builder().optProgressListener(downloadListener).build();
                Path file = weights != null ? resolver.resolve(weights)
                        : resolver.resolve(WeightsSource.mobileNetV2NoTop(alpha, shape));
                try (KerasWeights keras = KerasWeights.open(file)) {
                    keras.loadInto(graph);
                }
                checksum = fileChecksum(file);
            } else {
                checksum = parameterChecksum(graph);
            }
            String name = String.format(Locale.ROOT, "mobilenetv2-%s-avg", alphaText(alpha));
            ExtractorIdentity identity = new ExtractorIdentity("mobilenetv2-" + alphaText(alpha) + "/avg(out_relu)",
                    checksum, shape, Preprocessing.MOBILENET_V2, model.outputChannels());
            // Inference only: batch normalization and padding folded into the convolutions (same features, faster).
            return new MobileNetV2Pooled(name, InferenceFolding.fold(graph, shape), identity, batchSize);
        }
    }

    static String alphaText(double alpha) {
        return java.math.BigDecimal.valueOf(alpha).stripTrailingZeros().toPlainString();
    }
}
