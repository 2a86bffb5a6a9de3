package org.cnnkit.retrieval;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.EncodedImage;
import org.cnnkit.core.image.ImageDecoder;
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
     * Extracts the features of images already read into memory (for example by Spark from a distributed file system),
     * skipping those that cannot be decoded. Implementations run the same batched path as
     * {@link #extractReadable(List, ProgressListener)}; this default decodes and extracts one image at a time.
     *
     * @param images the encoded images, each named by its path or id
     * @return the vectors of the decodable images ({@link ExtractionResult#files()} holds their names) and the
     *     others with the reason
     */
    default ExtractionResult extractEncoded(List<EncodedImage> images) {
        ImageDecoder decoder = new ImageDecoder();
        List<Path> read = new ArrayList<>();
        List<float[]> vectors = new ArrayList<>();
        List<ExtractionResult.SkippedFile> skipped = new ArrayList<>();
        for (EncodedImage image : images) {
            BufferedImage decoded;
            try {
                decoded = decoder.read(image.name(), image.content());
            } catch (CnnkitException e) {
                skipped.add(new ExtractionResult.SkippedFile(image.name(), e.getMessage()));
                continue;
            }
            vectors.add(extract(decoded));
            read.add(image.name());
        }
        return new ExtractionResult(read, vectors.toArray(new float[0][]), skipped);
    }

    /**
     * Makes one encoded image ready for {@link #extractPrepared(List)}, so that images can be decoded on other threads
     * while the network runs on an earlier batch (a server decodes each upload as it arrives). The network extractors
     * decode, resize and preprocess the image here; this default keeps it encoded and decodes it in
     * {@link #extractPrepared(List)}. Thread-safe.
     *
     * @param image the encoded image
     * @return the prepared image
     * @throws ImageDecodingException if the image cannot be decoded (not an image, damaged, over the pixel limit),
     *     for extractors that decode here
     */
    default PreparedImage prepare(EncodedImage image) {
        return PreparedImage.encoded(java.util.Objects.requireNonNull(image, "image"));
    }

    /**
     * Extracts the features of images made ready by this extractor's {@link #prepare(EncodedImage)}, in as few
     * network batches as the extractor's batch size allows, skipping images that cannot be decoded (images this
     * extractor left encoded). This default hands the encoded images to {@link #extractEncoded(List)}.
     *
     * @param images the prepared images
     * @return the vectors of the images extracted ({@link ExtractionResult#files()} holds their names), in order, and
     *     the others with the reason
     * @throws IllegalArgumentException if an image was prepared by another kind of extractor
     */
    default ExtractionResult extractPrepared(List<PreparedImage> images) {
        List<EncodedImage> encoded = new ArrayList<>(images.size());
        for (PreparedImage image : images) {
            if (image.encodedImage() == null) {
                throw new IllegalArgumentException(name() + " cannot extract " + image.name()
                        + ": it was prepared (decoded) by another extractor");
            }
            encoded.add(image.encodedImage());
        }
        return extractEncoded(encoded);
    }

    /**
     * Extracts the features of one decoded image (any size: it is resized to the extractor's input).
     *
     * @param image the image, with its original pixels
     * @return the feature vector
     */
    float[] extract(BufferedImage image);

    /**
     * Extracts the features of several decoded images (any sizes), in order. Implementations run them through the
     * network in batches, which costs far less than one call of {@link #extract(BufferedImage)} per image; this
     * default extracts one image at a time.
     *
     * @param images the images, with their original pixels
     * @return one vector per image, in the order of {@code images}
     */
    default float[][] extractImages(List<BufferedImage> images) {
        float[][] vectors = new float[images.size()][];
        for (int i = 0; i < vectors.length; i++) {
            vectors[i] = extract(images.get(i));
        }
        return vectors;
    }
}
