package org.cnnkit.examples.cli;

import java.nio.file.Path;
import org.cnnkit.retrieval.ExtractorSpec;
import picocli.CommandLine.Option;

/**
 * The options that choose a feature extractor, shared by {@code index} and {@code evaluate-retrieval}:
 * {@code --extractor vgg16|mobilenetv2 [--alpha A] [--weights FILE] [--image-size N]}.
 */
public final class ExtractorOptions {

    @Option(names = "--extractor", paramLabel = "NAME", defaultValue = "vgg16",
            description = "Feature extractor: vgg16 (fc2, 4096 values) or mobilenetv2 (average-pooled base). "
                    + "Default: ${DEFAULT-VALUE}.")
    private String extractor;

    @Option(names = "--alpha", paramLabel = "A", defaultValue = "1.0",
            description = "MobileNetV2 width multiplier (0.35, 0.5, 0.75, 1.0, 1.3, 1.4). Default: ${DEFAULT-VALUE}.")
    private double alpha;

    @Option(names = "--weights", paramLabel = "FILE",
            description = "Weights file: Keras .h5 (VGG16 or MobileNetV2 no-top), or DL4J's vgg16_dl4j_inference.zip. "
                    + "Default: the pretrained weights from the cache (~/.cnnkit/models), downloaded when missing.")
    private Path weights;

    @Option(names = "--image-size", paramLabel = "N", defaultValue = "224",
            description = "Input height and width. Default: ${DEFAULT-VALUE}.")
    private int imageSize;

    /** Returns the extractor the options describe. */
    public ExtractorSpec spec() {
        ExtractorSpec spec = new ExtractorSpec(ExtractorSpec.Kind.parse(extractor), alpha, java.util.Optional.empty(),
                imageSize);
        return weights == null ? spec : spec.withWeights(weights);
    }
}
