package org.cnnkit.retrieval;

import java.util.Objects;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;

/**
 * What produced a feature vector: two vectors are comparable only if their extractors have equal identities.
 * A {@link FeatureIndex} records the identity of the extractor that filled it and refuses vectors from
 * another one.
 *
 * @param model the network and the layer the features come from, such as {@code "vgg16/fc2"} or
 *     {@code "mobilenetv2-0.35/avg(out_relu)"}
 * @param weightsChecksum a checksum of the weights (SHA-256 hex of the weights file, or of the parameters
 *     when they were not read from a file)
 * @param inputShape the size images are resized to before the network
 * @param preprocessing how pixels are prepared for the network
 * @param dimension the length of one feature vector
 */
public record ExtractorIdentity(String model, String weightsChecksum, InputShape inputShape,
                                Preprocessing preprocessing, int dimension) {

    /**
     * Validates the identity.
     *
     * @param model the network and the layer the features come from, such as {@code "vgg16/fc2"} or {@code "mobilenetv2-0.35/avg(out_relu)"}
     * @param weightsChecksum a checksum of the weights (SHA-256 hex of the weights file, or of the parameters when they were not read from a file)
     * @param inputShape the size images are resized to before the network
     * @param preprocessing how pixels are prepared for the network
     * @param dimension the length of one feature vector
     * @throws NullPointerException if a field is null
     * @throws IllegalArgumentException if {@code model} is blank or {@code dimension} is not positive
     */
    public ExtractorIdentity {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(weightsChecksum, "weightsChecksum");
        Objects.requireNonNull(inputShape, "inputShape");
        Objects.requireNonNull(preprocessing, "preprocessing");
        if (model.isBlank()) {
            throw new IllegalArgumentException("extractor model name must not be blank");
        }
        if (dimension < 1) {
            throw new IllegalArgumentException("extractor dimension must be positive, got " + dimension);
        }
    }

    /** {@return a one-line description, such as {@code vgg16/fc2 224x224x3 VGG16_CAFFE 4096-d weights 1a2b3c4d}} */
    public String describe() {
        String shortSum = weightsChecksum.length() > 12 ? weightsChecksum.substring(0, 12) : weightsChecksum;
        return model + " " + inputShape + " " + preprocessing + " " + dimension + "-d weights " + shortSum;
    }
}
