package org.cnnkit.retrieval;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import org.cnnkit.core.image.ImageDecodingException;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.zoo.InferenceEngine;

/**
 * Turns images into feature vectors whose distances reflect visual similarity. An extractor's
 * {@link #identity()} is recorded in a {@link FeatureIndex}, which refuses vectors from any other extractor.
 *
 * <p>Implementations are thread-safe.
 */
public interface FeatureExtractor {

    /** {@return a short name, such as {@code vgg16-fc2} or {@code mobilenetv2-0.35-avg}} */
    String name();

    /** {@return what exactly produces the vectors: model, weights checksum, input size, preprocessing, dimension} */
    ExtractorIdentity identity();

    /**
     * Returns the engine that runs this extractor's network.
     *
     * @return the engine ({@link InferenceEngine#DL4J} unless the implementation says otherwise)
     */
    default InferenceEngine engine() {
        return InferenceEngine.DL4J;
    }

    /** {@return the length of one feature vector} */
    default int dimension() {
        return identity().dimension();
    }

    /**
     * Extracts the features of image files in batches: decoding in parallel, preprocessing, then the network
     * one batch at a time, the next batch decoded while the network runs on the current one. At most two batches of
     * decoded images are held in memory.
     *
     * @param files the images
     * @param listener receives progress, in images
     * @return one vector per file, in the order of {@code files}
     * @throws ImageDecodingException if a file cannot be read as an image (naming the file)
     */
    float[][] extract(List<Path> files, ProgressListener listener);

    /**
     * As {@link #extract(List, ProgressListener)}, but skips files that cannot be read and reports them.
     *
     * @param files the images
     * @param listener receives progress, in images (skipped ones included)
     * @return the vectors of the readable files and the list of the others with the reason
     */
    ExtractionResult extractReadable(List<Path> files, ProgressListener listener);

    /**
     * Extracts the features of one decoded image (any size: it is resized to the extractor's input).
     *
     * @param image the image, with its original pixels
     * @return the feature vector
     */
    float[] extract(BufferedImage image);
}
