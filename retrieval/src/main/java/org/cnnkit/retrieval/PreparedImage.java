package org.cnnkit.retrieval;

import java.nio.file.Path;
import java.util.Objects;
import org.cnnkit.core.image.EncodedImage;

/**
 * One image made ready for {@link FeatureExtractor#extractPrepared(java.util.List)} by
 * {@link FeatureExtractor#prepare(EncodedImage)}: for the network extractors, its pixels decoded, resized and
 * preprocessed to the network's input; for other extractors, the encoded image itself. Preparing images on several
 * threads while the network runs on an earlier batch is what lets a server keep both its decoding and its network
 * busy. Immutable once made; hand it to the extractor that prepared it.
 */
public final class PreparedImage {

    private final Path name;
    private final EncodedImage encoded;
    private final float[] pixels;
    private final ExtractorIdentity preparedFor;

    private PreparedImage(Path name, EncodedImage encoded, float[] pixels, ExtractorIdentity preparedFor) {
        this.name = Objects.requireNonNull(name, "name");
        this.encoded = encoded;
        this.pixels = pixels;
        this.preparedFor = preparedFor;
    }

    /** An image left encoded, decoded by the extractor when it extracts. */
    static PreparedImage encoded(EncodedImage image) {
        return new PreparedImage(image.name(), image, null, null);
    }

    /**
     * Decoded network input: {@code pixels} in the input shape of the extractor {@code preparedFor} identifies (CHW),
     * preprocessed as it needs; not copied.
     */
    static PreparedImage pixels(Path name, float[] pixels, ExtractorIdentity preparedFor) {
        return new PreparedImage(name, null, Objects.requireNonNull(pixels, "pixels"),
                Objects.requireNonNull(preparedFor, "preparedFor"));
    }

    /**
     * Returns the name the image was given.
     *
     * @return its path or id, as in the {@link EncodedImage} it was prepared from
     */
    public Path name() {
        return name;
    }

    /** The encoded image, or null when the image was decoded into {@link #pixels()}. */
    EncodedImage encodedImage() {
        return encoded;
    }

    /** The decoded network input, or null when the image is still encoded. */
    float[] pixels() {
        return pixels;
    }

    /** The identity of the extractor whose input {@link #pixels()} are, or null when the image is still encoded. */
    ExtractorIdentity preparedFor() {
        return preparedFor;
    }
}
