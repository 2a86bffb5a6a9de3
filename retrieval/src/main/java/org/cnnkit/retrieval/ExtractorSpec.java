package org.cnnkit.retrieval;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.zoo.InferenceEngine;
import org.cnnkit.zoo.onnx.OnnxExport;

/**
 * Which feature extractor to build, in words a command line or an index file can carry: the network, its alpha
 * (MobileNetV2), a weights file (or none: the pretrained weights from the cache or a download), and the input size.
 * An {@link ImageSearch} records its spec in the index's properties so that a saved index can be searched without
 * naming the extractor again.
 *
 * @param kind the network
 * @param alpha MobileNetV2's width multiplier (ignored for VGG16)
 * @param weights a weights file, or empty for the pretrained weights of the cache or a download
 * @param imageSize the input height and width
 */
public record ExtractorSpec(Kind kind, double alpha, Optional<Path> weights, int imageSize) {

    /** The networks. */
    public enum Kind {
        /** {@link Vgg16Fc2}: VGG16's fc2 layer, 4096 values. */
        VGG16,
        /** {@link MobileNetV2Pooled}: MobileNetV2's average-pooled base. */
        MOBILENETV2;

        /**
         * Parses a name as the command line spells it: {@code vgg16} or {@code mobilenetv2}, any case.
         *
         * @param name the name
         * @return the kind
         * @throws CnnkitException if the name is unknown
         */
        public static Kind parse(String name) {
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new CnnkitException("unknown extractor '" + name + "': use vgg16 or mobilenetv2");
            }
        }
    }

    private static final String KIND = "extractor.kind";
    private static final String ALPHA = "extractor.alpha";
    private static final String WEIGHTS = "extractor.weights";
    private static final String SIZE = "extractor.image_size";

    /**
     * Validates the spec.
     *
     * @param kind the network
     * @param alpha MobileNetV2's width multiplier (ignored for VGG16)
     * @param weights a weights file, or empty for the pretrained weights of the cache or a download
     * @param imageSize the input height and width
     * @throws NullPointerException if a field is null
     * @throws IllegalArgumentException if alpha or the size is not positive
     */
    public ExtractorSpec {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(weights, "weights");
        if (!(alpha > 0) || imageSize < 1) {
            throw new IllegalArgumentException("alpha and image size must be positive, got " + alpha + " and " + imageSize);
        }
    }

    /** {@return the default: VGG16 fc2 at 224x224 with the pretrained Keras weights} */
    public static ExtractorSpec vgg16() {
        return new ExtractorSpec(Kind.VGG16, 1.0, Optional.empty(), 224);
    }

    /**
     * Returns MobileNetV2 with the pretrained weights of an alpha at 224x224.
     *
     * @param alpha the width multiplier
     * @return the spec
     */
    public static ExtractorSpec mobileNetV2(double alpha) {
        return new ExtractorSpec(Kind.MOBILENETV2, alpha, Optional.empty(), 224);
    }

    /**
     * Returns this spec with a weights file.
     *
     * @param file the weights file
     * @return a new spec
     */
    public ExtractorSpec withWeights(Path file) {
        return new ExtractorSpec(kind, alpha, Optional.of(file.toAbsolutePath().normalize()), imageSize);
    }

    /**
     * Builds the extractor, loading (and if needed downloading) its weights.
     *
     * @param downloadListener receives progress of a weights download
     * @return the extractor
     * @throws CnnkitException if the weights cannot be had or do not fit
     */
    public FeatureExtractor create(ProgressListener downloadListener) {
        return create(downloadListener, null);
    }

    /**
     * Builds the extractor with its network on an engine, loading (and if needed downloading) its weights.
     *
     * @param downloadListener receives progress of a weights download
     * @param engine the engine that runs the network (null: the fastest available)
     * @return the extractor
     * @throws CnnkitException if the weights cannot be had or do not fit, or the engine is not available
     */
    public FeatureExtractor create(ProgressListener downloadListener, InferenceEngine engine) {
        return switch (kind) {
            case VGG16 -> {
                Vgg16Fc2.Builder builder = Vgg16Fc2.builder().optInputSize(imageSize).optDownloadListener(downloadListener);
                weights.ifPresent(builder::optWeights);
                if (engine != null) {
                    builder.optEngine(engine);
                }
                yield builder.build();
            }
            case MOBILENETV2 -> {
                MobileNetV2Pooled.Builder builder = MobileNetV2Pooled.builder().optAlpha(alpha).optImageSize(imageSize)
                        .optDownloadListener(downloadListener);
                weights.ifPresent(builder::optWeights);
                if (engine != null) {
                    builder.optEngine(engine);
                }
                yield builder.build();
            }
        };
    }

    /**
     * Builds the extractor (on DL4J: no ONNX Runtime session is opened) and exports its network to ONNX.
     *
     * @param downloadListener receives progress of a weights download
     * @return the export, ready to write
     * @throws CnnkitException if the weights cannot be had or do not fit
     */
    public OnnxExport exportOnnx(ProgressListener downloadListener) {
        return ((GraphFeatureExtractor) create(downloadListener, InferenceEngine.DL4J)).toOnnx();
    }

    /** {@return the spec as index properties ({@code extractor.kind}, {@code extractor.alpha}, ...)} */
    public Map<String, String> toProperties() {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put(KIND, kind.name().toLowerCase(Locale.ROOT));
        properties.put(ALPHA, MobileNetV2Pooled.alphaText(alpha));
        weights.ifPresent(file -> properties.put(WEIGHTS, file.toString()));
        properties.put(SIZE, Integer.toString(imageSize));
        return properties;
    }

    /**
     * Reads a spec from index properties written by {@link #toProperties()}.
     *
     * @param properties the index properties
     * @return the spec, or empty when the properties hold none
     * @throws CnnkitException if the properties hold a spec that cannot be parsed
     */
    public static Optional<ExtractorSpec> fromProperties(Map<String, String> properties) {
        String kind = properties.get(KIND);
        if (kind == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(new ExtractorSpec(Kind.parse(kind), Double.parseDouble(properties.getOrDefault(ALPHA, "1")),
                    Optional.ofNullable(properties.get(WEIGHTS)).map(Path::of),
                    Integer.parseInt(properties.getOrDefault(SIZE, "224"))));
        } catch (IllegalArgumentException e) {
            throw new CnnkitException("the index records an invalid extractor " + properties + ": " + e.getMessage(), e);
        }
    }
}
