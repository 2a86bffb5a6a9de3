package org.cnnkit.zoo.onnx;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import onnx.Onnx;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.core.io.AtomicFiles;
import org.cnnkit.zoo.ImageClassifier;
import org.cnnkit.zoo.Versions;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * Writes a cnnkit network (any DL4J {@link ComputationGraph} built of the layers {@code OnnxGraphConverter} knows:
 * the notebook CNNs, MobileNetV2 plain or folded, VGG16, the transfer classifier, the pooled feature extractors) as an
 * ONNX model, opset {@value #OPSET}, with one float input {@code input} of shape {@code [batch, channels, height,
 * width]} and the graph's outputs under their DL4J names. The model's {@code metadata_props} carry an
 * {@link OnnxMetadata}: input shape, preprocessing, class names, network name and cnnkit version.
 *
 * <pre>{@code
 * OnnxExport.of(ImageClassifier.load(Path.of("digits.cnnkit"))).write(Path.of("digits.onnx"));
 * }</pre>
 *
 * <p>The model is built when {@link Builder#build()} is called and holds the network's parameters without copying
 * them where it can; write it, then drop it. The ONNX classes are those nd4j-api ships ({@code onnx.Onnx}).
 */
public final class OnnxExport {

    /** The ONNX operator set the exported models use. */
    public static final int OPSET = 13;

    /** The ONNX IR version the exported models declare (8: ONNX 1.10, read by ONNX Runtime 1.10 and newer). */
    static final int IR_VERSION = 8;

    private final Onnx.ModelProto model;
    private final OnnxMetadata metadata;
    /** The parameter arrays the model's tensors wrap: referenced so that their memory lives as long as the model. */
    @SuppressWarnings({"unused", "FieldCanBeLocal"})
    private final List<?> keptAlive;

    private OnnxExport(Onnx.ModelProto model, OnnxMetadata metadata, List<?> keptAlive) {
        this.model = model;
        this.metadata = metadata;
        this.keptAlive = keptAlive;
    }

    /**
     * Starts an export.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Exports a classifier: its network, input shape, preprocessing and class names.
     *
     * @param classifier the classifier
     * @return the export
     * @throws CnnkitException naming the first layer the exporter does not support, with its type
     */
    public static OnnxExport of(ImageClassifier classifier) {
        return builder().setNetwork(classifier.network()).setInputShape(classifier.inputShape())
                .setPreprocessing(classifier.preprocessing()).optClassNames(classifier.classNames())
                .optModelName(classifier.provenance().model()).build();
    }

    /** {@return the metadata written into the model} */
    public OnnxMetadata metadata() {
        return metadata;
    }

    /** {@return the ONNX model} */
    public Onnx.ModelProto model() {
        return model;
    }

    /**
     * Writes the model to a file atomically (a temporary file in the same folder, then a move).
     *
     * @param file the {@code .onnx} file to write; its folder is created if needed
     * @throws CnnkitException naming the file if it cannot be written
     */
    public void write(Path file) {
        try {
            AtomicFiles.write(file, this::writeTo);
        } catch (IOException e) {
            throw new CnnkitException("cannot write ONNX model " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes the serialized model to a stream.
     *
     * @param out the stream (not closed)
     * @throws IOException if writing fails
     */
    public void writeTo(OutputStream out) throws IOException {
        model.writeTo(out);
    }

    /** Configures an export: the network, its input shape and preprocessing are required. */
    public static final class Builder {
        private ComputationGraph network;
        private InputShape inputShape;
        private Preprocessing preprocessing;
        private List<String> classNames = List.of();
        private String modelName = "cnnkit-network";

        private Builder() {
        }

        /**
         * Sets the network to export.
         *
         * @param network an initialized graph with one image input
         * @return this builder
         */
        public Builder setNetwork(ComputationGraph network) {
            this.network = Objects.requireNonNull(network, "network");
            return this;
        }

        /**
         * Sets the shape of the images the network takes.
         *
         * @param inputShape height, width, channels
         * @return this builder
         */
        public Builder setInputShape(InputShape inputShape) {
            this.inputShape = Objects.requireNonNull(inputShape, "inputShape");
            return this;
        }

        /**
         * Sets the preprocessing of 0..255 pixels the network expects (written into the metadata).
         *
         * @param preprocessing the preprocessing
         * @return this builder
         */
        public Builder setPreprocessing(Preprocessing preprocessing) {
            this.preprocessing = Objects.requireNonNull(preprocessing, "preprocessing");
            return this;
        }

        /**
         * Sets a classifier's class names, in output order (none by default: a feature extractor).
         *
         * @param classNames the class names
         * @return this builder
         */
        public Builder optClassNames(List<String> classNames) {
            this.classNames = List.copyOf(classNames);
            return this;
        }

        /**
         * Sets the network's name written into the metadata ({@code cnnkit-network} by default).
         *
         * @param modelName the name
         * @return this builder
         */
        public Builder optModelName(String modelName) {
            this.modelName = Objects.requireNonNull(modelName, "modelName");
            return this;
        }

        /**
         * Translates the network into an ONNX model.
         *
         * @return the export, ready to write
         * @throws IllegalStateException if the network, input shape or preprocessing is missing
         * @throws CnnkitException naming the first layer or vertex the exporter does not support (with its type),
         *     or a layer whose input does not fit
         */
        public OnnxExport build() {
            if (network == null || inputShape == null || preprocessing == null) {
                throw new IllegalStateException("an ONNX export needs setNetwork, setInputShape and setPreprocessing");
            }
            OnnxMetadata metadata = new OnnxMetadata(Versions.cnnkit(), modelName, inputShape, preprocessing,
                    classNames);
            OnnxGraphConverter.Converted converted = OnnxGraphConverter.convert(network, inputShape, modelName);
            Onnx.ModelProto.Builder model = Onnx.ModelProto.newBuilder()
                    .setIrVersion(IR_VERSION)
                    .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                    .setProducerName("cnnkit")
                    .setProducerVersion(metadata.cnnkitVersion())
                    .setDomain("org.cnnkit")
                    .setGraph(converted.graph());
            for (Map.Entry<String, String> entry : metadata.toProperties().entrySet()) {
                model.addMetadataProps(Onnx.StringStringEntryProto.newBuilder().setKey(entry.getKey())
                        .setValue(entry.getValue()));
            }
            return new OnnxExport(model.build(), metadata, converted.keptAlive());
        }
    }
}
