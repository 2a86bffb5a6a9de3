package org.cnnkit.zoo.onnx;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.nd4j.shade.jackson.core.JsonProcessingException;
import org.nd4j.shade.jackson.core.type.TypeReference;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * What cnnkit writes into an exported ONNX model's {@code metadata_props}, so that a model file says how to feed it:
 * the image shape (NCHW float input named {@value OnnxGraphConverter#INPUT_NAME}, any batch size), the preprocessing
 * of 0..255 pixels, a classifier's class names (in output order), the network's name and the cnnkit version that
 * wrote it.
 *
 * <p>Keys: {@value #FORMAT_KEY} (the metadata format version, {@value #FORMAT_VERSION}), {@value #VERSION_KEY},
 * {@value #MODEL_KEY}, {@value #INPUT_SHAPE_KEY} ({@code height x width x channels}, e.g. {@code 224x224x3}),
 * {@value #INPUT_LAYOUT_KEY} (always {@code NCHW}), {@value #PREPROCESSING_KEY} (a {@link Preprocessing} name) and,
 * for classifiers, {@value #CLASS_NAMES_KEY} (a JSON array of strings).
 *
 * @param cnnkitVersion the cnnkit version that wrote the model
 * @param modelName the network's name (for example {@code seedcnn-notebook} or {@code mobilenetv2-0.35-avg})
 * @param inputShape the images the model takes
 * @param preprocessing the preprocessing its input needs
 * @param classNames a classifier's class names in output order; empty for a feature extractor
 */
public record OnnxMetadata(String cnnkitVersion, String modelName, InputShape inputShape, Preprocessing preprocessing,
        List<String> classNames) {

    /** The version of this metadata format. */
    public static final int FORMAT_VERSION = 1;
    /** Key of the metadata format version; its presence marks a cnnkit model. */
    public static final String FORMAT_KEY = "cnnkit.format";
    /** Key of the cnnkit version. */
    public static final String VERSION_KEY = "cnnkit.version";
    /** Key of the network's name. */
    public static final String MODEL_KEY = "cnnkit.model";
    /** Key of the input image shape, {@code height x width x channels}. */
    public static final String INPUT_SHAPE_KEY = "cnnkit.input_shape";
    /** Key of the input layout ({@code NCHW}). */
    public static final String INPUT_LAYOUT_KEY = "cnnkit.input_layout";
    /** Key of the preprocessing. */
    public static final String PREPROCESSING_KEY = "cnnkit.preprocessing";
    /** Key of the class names (JSON array). */
    public static final String CLASS_NAMES_KEY = "cnnkit.class_names";

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Checks the fields.
     *
     * @param cnnkitVersion the cnnkit version that wrote the model
     * @param modelName the network's name (for example {@code seedcnn-notebook} or {@code mobilenetv2-0.35-avg})
     * @param inputShape the images the model takes
     * @param preprocessing the preprocessing its input needs
     * @param classNames a classifier's class names in output order; empty for a feature extractor
     * @throws NullPointerException if a field is null
     */
    public OnnxMetadata {
        Objects.requireNonNull(cnnkitVersion, "cnnkitVersion");
        Objects.requireNonNull(modelName, "modelName");
        Objects.requireNonNull(inputShape, "inputShape");
        Objects.requireNonNull(preprocessing, "preprocessing");
        classNames = List.copyOf(classNames);
    }

    /**
     * Returns the metadata as the model's {@code metadata_props} entries.
     *
     * @return key to value, in a fixed order
     */
    public Map<String, String> toProperties() {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put(FORMAT_KEY, Integer.toString(FORMAT_VERSION));
        properties.put(VERSION_KEY, cnnkitVersion);
        properties.put(MODEL_KEY, modelName);
        properties.put(INPUT_SHAPE_KEY, inputShape.height() + "x" + inputShape.width() + "x" + inputShape.channels());
        properties.put(INPUT_LAYOUT_KEY, "NCHW");
        properties.put(PREPROCESSING_KEY, preprocessing.name());
        if (!classNames.isEmpty()) {
            try {
                properties.put(CLASS_NAMES_KEY, JSON.writeValueAsString(classNames));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot write class names as JSON", e);
            }
        }
        return properties;
    }

    /**
     * Reads the metadata of a model cnnkit exported.
     *
     * @param properties the model's {@code metadata_props}
     * @param source where they come from, for messages (a file name)
     * @return the metadata
     * @throws CnnkitException naming {@code source} if the model is not a cnnkit model (no {@value #FORMAT_KEY}),
     *     is of a newer metadata format, or a value is missing or invalid
     */
    public static OnnxMetadata fromProperties(Map<String, String> properties, String source) {
        String format = properties.get(FORMAT_KEY);
        if (format == null) {
            throw new CnnkitException(source + " is an ONNX model but not one cnnkit exported: its metadata has no "
                    + FORMAT_KEY + " (export cnnkit models with 'cnnkit export')");
        }
        int version;
        try {
            version = Integer.parseInt(format.trim());
        } catch (NumberFormatException e) {
            throw new CnnkitException(source + ": invalid " + FORMAT_KEY + " '" + format + "'");
        }
        if (version > FORMAT_VERSION || version < 1) {
            throw new CnnkitException(source + ": cnnkit ONNX metadata format " + version + " is not one this cnnkit "
                    + "reads (" + FORMAT_VERSION + "); use a newer cnnkit");
        }
        String shape = required(properties, INPUT_SHAPE_KEY, source);
        InputShape inputShape;
        try {
            String[] parts = shape.split("x");
            if (parts.length != 3) {
                throw new NumberFormatException("not three numbers");
            }
            inputShape = new InputShape(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]),
                    Integer.parseInt(parts[2]));
        } catch (IllegalArgumentException e) {
            throw new CnnkitException(source + ": invalid " + INPUT_SHAPE_KEY + " '" + shape + "', expected "
                    + "height x width x channels such as 224x224x3");
        }
        String layout = properties.getOrDefault(INPUT_LAYOUT_KEY, "NCHW");
        if (!layout.equals("NCHW")) {
            throw new CnnkitException(source + ": input layout " + layout + " is not supported (NCHW)");
        }
        String preprocessingName = required(properties, PREPROCESSING_KEY, source);
        Preprocessing preprocessing;
        try {
            preprocessing = Preprocessing.valueOf(preprocessingName);
        } catch (IllegalArgumentException e) {
            throw new CnnkitException(source + ": unknown " + PREPROCESSING_KEY + " '" + preprocessingName + "'");
        }
        List<String> classNames = List.of();
        String classes = properties.get(CLASS_NAMES_KEY);
        if (classes != null) {
            try {
                classNames = JSON.readValue(classes, new TypeReference<List<String>>() { });
            } catch (JsonProcessingException e) {
                throw new CnnkitException(source + ": invalid " + CLASS_NAMES_KEY + " (not a JSON array of strings)");
            }
        }
        return new OnnxMetadata(required(properties, VERSION_KEY, source), required(properties, MODEL_KEY, source),
                inputShape, preprocessing, classNames);
    }

    private static String required(Map<String, String> properties, String key, String source) {
        String value = properties.get(key);
        if (value == null || value.isBlank()) {
            throw new CnnkitException(source + ": the cnnkit metadata has no " + key);
        }
        return value;
    }
}
