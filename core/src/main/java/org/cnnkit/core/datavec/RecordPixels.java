package org.cnnkit.core.datavec;

import java.util.List;
import java.util.SplittableRandom;
import org.cnnkit.core.data.DecodedPixelCache;
import org.cnnkit.core.data.EpochRandomness;
import org.cnnkit.core.data.LabeledImage;
import org.cnnkit.core.image.Augmentation;
import org.cnnkit.core.image.ImageDecoder;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.core.runtime.NativeWorkers;

/**
 * The pixels of a {@link PipelineRecordReader}'s images by position and epoch: decoded (once, into the 8-bit
 * {@link DecodedPixelCache} that {@code ImageDataSetIterator} uses too, when it is kept), augmented with the generator
 * of {@code (seed, epoch, position)} and preprocessed, exactly as {@code ImageDataSetIterator} makes them. Remembers
 * the files that cannot be decoded. Thread-safe: the reader's decoding workers call it concurrently.
 */
final class RecordPixels {

    private final DecodedPixelCache decoded;
    private final InputShape shape;
    private final Preprocessing preprocessing;
    private final Augmentation augmentation;
    private final long seed;

    RecordPixels(List<LabeledImage> images, InputShape shape, Preprocessing preprocessing,
                 Augmentation augmentation, ImageDecoder decoder, long seed) {
        this.decoded = new DecodedPixelCache(images, shape, decoder);
        this.shape = shape;
        this.preprocessing = preprocessing;
        this.augmentation = augmentation;
        this.seed = seed;
    }

    /**
     * Decodes every image once into the 8-bit cache on the workers, unless the cache would take more than half the
     * maximum heap (then every epoch decodes the files again, and a warning says so).
     *
     * @return whether the cache is kept
     */
    boolean loadCache(NativeWorkers workers) {
        return decoded.load(workers::submit, ProgressListener.none());
    }

    /** {@return whether the decoded pixels are cached} */
    boolean cached() {
        return decoded.cached();
    }

    /** {@return whether the image at {@code position} is known not to decode} */
    boolean isUnreadable(int position) {
        return decoded.isUnreadable(position);
    }

    /**
     * Returns the image at {@code position} as epoch {@code epoch} shows it: augmented and preprocessed.
     *
     * @param scratch {@code shape.values()} floats the augmentation may write into, or null
     * @return a new array of {@code shape.values()} values, or null if the file cannot be decoded
     */
    float[] pixels(int position, int epoch, float[] scratch) {
        float[] pixels = decoded.pixels(position, null);
        if (pixels == null) {
            return null;
        }
        if (!augmentation.isIdentity()) {
            SplittableRandom rng = EpochRandomness.augmentationRandom(seed, epoch, position);
            float[] out = scratch != null ? scratch : new float[pixels.length];
            augmentation.apply(pixels, shape, rng, out);
            System.arraycopy(out, 0, pixels, 0, pixels.length);
        }
        preprocessing.applyInPlace(pixels, shape.channels());
        return pixels;
    }
}
