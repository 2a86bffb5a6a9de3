package org.cnnkit.retrieval;

import java.util.Locale;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.zoo.IdleThreads;
import org.cnnkit.zoo.InferenceEngine;
import org.cnnkit.zoo.InferenceFolding;
import org.cnnkit.zoo.MobileNetV2;
import org.cnnkit.zoo.weights.KerasWeights;
import org.cnnkit.zoo.weights.WeightsSource;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * Features from MobileNetV2's base: the global average of the {@code out_relu} feature map (1280 values for
 * alpha up to 1), with {@link Preprocessing#MOBILENET_V2} pixels. Smaller and faster than {@link Vgg16Fc2}, and
 * usually better for retrieval once centred and normalised (see {@link SearchSettings#defaults()}).
 *
 * <p>Weights are the keras-applications ImageNet weights without the top: a given file, or the one for the
 * alpha and size from the cache or a download ({@link org.cnnkit.zoo.weights.PretrainedWeights}); or random (for tests).
 */
public final class MobileNetV2Pooled extends GraphFeatureExtractor {

    private MobileNetV2Pooled(String name, ComputationGraph network, ExtractorIdentity identity, int batchSize,
            InferenceEngine engine, IdleThreads idleThreads) {
        super(name, network, identity, batchSize, engine, idleThreads);
    }

    /** {@return a builder} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Configures a {@link MobileNetV2Pooled}: alpha and image size here; weights, seed, batch size (32 by default)
     * and download listener as for every pretrained extractor.
     */
    public static final class Builder extends PretrainedExtractorBuilder<Builder> {
        private double alpha = 1.0;
        private int imageSize = 224;

        private Builder() {
            super(32);
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
         * Builds the network, loads the weights (a Keras no-top {@code .h5} file), and returns the extractor.
         *
         * @return the extractor
         * @throws org.cnnkit.core.CnnkitException if the weights cannot be found, downloaded or loaded
         * @throws IllegalArgumentException if alpha or the size is invalid
         */
        public MobileNetV2Pooled build() {
            InputShape shape = InputShape.rgb(imageSize);
            MobileNetV2 model = MobileNetV2.builder().optAlpha(alpha).setInputShape(shape).optSeed(seed()).build();
            ComputationGraph graph = model.newGraph();
            String checksum = loadWeights(graph, () -> WeightsSource.mobileNetV2NoTop(alpha, shape), file -> {
                try (KerasWeights keras = KerasWeights.open(file)) {
                    keras.loadInto(graph);
                }
            });
            String name = String.format(Locale.ROOT, "mobilenetv2-%s-avg", alphaText(alpha));
            ExtractorIdentity identity = new ExtractorIdentity("mobilenetv2-" + alphaText(alpha) + "/avg(out_relu)",
                    checksum, shape, Preprocessing.MOBILENET_V2, model.outputChannels());
            // Inference only: the global average pooling inside the graph (computed channels-last, with no permute
            // of the feature map back to NCHW), batch normalization and padding folded into the convolutions.
            ComputationGraph pooled = InferenceFolding.fold(MobileNetV2.withGlobalAveragePooling(graph), shape);
            return new MobileNetV2Pooled(name, pooled, identity, batchSize(), engine(), idleThreads());
        }
    }

    static String alphaText(double alpha) {
        return java.math.BigDecimal.valueOf(alpha).stripTrailingZeros().toPlainString();
    }
}
