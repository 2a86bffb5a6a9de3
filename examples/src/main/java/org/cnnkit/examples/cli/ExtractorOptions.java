package org.cnnkit.examples.cli;

import java.nio.file.Path;
import java.util.Optional;
import org.cnnkit.retrieval.ExtractorSpec;
import picocli.CommandLine.Option;

/**
 * The options that choose a feature extractor, shared by {@code index} and {@code evaluate-retrieval}:
 * {@code --extractor vgg16|mobilenetv2 [--alpha A] [--weights FILE] [--image-size N]}.
 *
 * <p>Options left out take their defaults ({@link #spec()}), or, when an existing index is updated, the values the
 * index records ({@link #spec(Optional)}).
 */
public final class ExtractorOptions {

    private static final String DEFAULT_EXTRACTOR = "vgg16";
    private static final double DEFAULT_ALPHA = 1.0;
    private static final int DEFAULT_IMAGE_SIZE = 224;

    // No picocli default values: a null field means the option was not given.
    @Option(names = "--extractor", paramLabel = "NAME",
            description = "Feature extractor: vgg16 (fc2, 4096 values) or mobilenetv2 (average-pooled base). "
                    + "Default: " + DEFAULT_EXTRACTOR + ", or the one an existing index records.")
    private String extractor;

    @Option(names = "--alpha", paramLabel = "A",
            description = "MobileNetV2 width multiplier (0.35, 0.5, 0.75, 1.0, 1.3, 1.4). Default: " + DEFAULT_ALPHA + ".")
    private Double alpha;

    @Option(names = "--weights", paramLabel = "FILE",
            description = "Weights file: Keras .h5 (VGG16 or MobileNetV2 no-top), or DL4J's vgg16_dl4j_inference.zip. "
                    + "Default: the pretrained weights from the cache (~/.cnnkit/models), downloaded when missing.")
    private Path weights;

    @Option(names = "--image-size", paramLabel = "N",
            description = "Input height and width. Default: " + DEFAULT_IMAGE_SIZE + ".")
    private Integer imageSize;

    /** {@return whether {@code --extractor} was given} */
    public boolean extractorGiven() {
        return extractor != null;
    }

    /** {@return the extractor the options describe, with defaults for the options not given} */
    public ExtractorSpec spec() {
        return spec(Optional.empty());
    }

    /**
     * Returns the extractor to update an existing index with: without {@code --extractor}, the one the index
     * records (with the values of {@code --alpha}, {@code --weights} and {@code --image-size} when given);
     * otherwise, or when the index records none, the one the options describe.
     *
     * @param recorded the extractor the index records, if any
     * @return the extractor
     */
    public ExtractorSpec spec(Optional<ExtractorSpec> recorded) {
        ExtractorSpec base = extractor == null && recorded.isPresent()
                ? recorded.get()
                : new ExtractorSpec(ExtractorSpec.Kind.parse(extractor == null ? DEFAULT_EXTRACTOR : extractor),
                        DEFAULT_ALPHA, Optional.empty(), DEFAULT_IMAGE_SIZE);
        ExtractorSpec spec = new ExtractorSpec(base.kind(), alpha == null ? base.alpha() : alpha, base.weights(),
                imageSize == null ? base.imageSize() : imageSize);
        return weights == null ? spec : spec.withWeights(weights);
    }
}
