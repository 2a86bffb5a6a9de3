package org.cnnkit.core.datavec;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import org.cnnkit.core.data.EpochRandomness;
import org.cnnkit.core.data.LabeledImage;
import org.cnnkit.core.image.Augmentation;
import org.cnnkit.core.image.ImageDecoder;
import org.cnnkit.core.image.ImageDecodingException;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.core.runtime.NativeWorkers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pixels of a {@link PipelineRecordReader}'s images by position and epoch: decoded (once, into an 8-bit cache,
 * when it is kept), augmented with the generator of {@code (seed, epoch, position)} and preprocessed, exactly as
 * {@code ImageDataSetIterator} makes them. Remembers the files that cannot be decoded. Thread-safe: the reader's
 * decoding workers call it concurrently.
 */
final class RecordPixels {

    private static final Logger LOG = LoggerFactory.getLogger(RecordPixels.class);
    /** The cache may take at most this share of the maximum heap, as {@code ImageDataSetIterator}'s. */
    private static final double CACHE_HEAP_SHARE = 0.5;
    private static final int DECODE_CHUNK = 8;

    private final List<LabeledImage> images;
    private final InputShape shape;
    private final Preprocessing preprocessing;
    private final Augmentation augmentation;
    private final ImageDecoder decoder;
    private final long seed;
    private final Set<Integer> unreadable = ConcurrentHashMap.newKeySet();
    private volatile byte[][] cache;

    RecordPixels(List<LabeledImage> images, InputShape shape, Preprocessing preprocessing, Augmentation augmentation,
                 ImageDecoder decoder, long seed) {
        this.images = images;
        this.shape = shape;
        this.preprocessing = preprocessing;
        this.augmentation = augmentation;
        this.decoder = decoder;
        this.seed = seed;
    }

    /**
     * Decodes every image once into the 8-bit cache on the workers, unless the cache would take more than half the
     * maximum heap (then every epoch decodes the files again, and a warning says so).
     *
     * @return whether the cache is kept
     */
    boolean loadCache(NativeWorkers workers) {
        long bytes = (long) images.size() * shape.values();
        long limit = (long) (Runtime.getRuntime().maxMemory() * CACHE_HEAP_SHARE);
        if (bytes > limit) {
            LOG.warn("not caching decoded pixels: {} images of {} need {} MB, more than half the maximum heap ({} MB);"
                    + " every epoch decodes the files again (raise -Xmx to cache)", images.size(), shape, bytes >> 20,
                    Runtime.getRuntime().maxMemory() >> 20);
            return false;
        }
        byte[][] decoded = new byte[images.size()][];
        List<Callable<Void>> tasks = new ArrayList<>();
        for (int start = 0; start < images.size(); start += DECODE_CHUNK) {
            int from = start;
            int to = Math.min(images.size(), start + DECODE_CHUNK);
            tasks.add(() -> {
                for (int i = from; i < to; i++) {
                    float[] pixels = decode(i);
                    if (pixels != null) {
                        decoded[i] = toBytes(pixels);
                    }
                }
                return null;
            });
        }
        workers.runAll(tasks, "decoding images");
        if (!unreadable.isEmpty()) {
            LOG.warn("{} of {} image files could not be decoded and are left out", unreadable.size(), images.size());
        }
        cache = decoded;
        return true;
    }

    /** {@return whether the decoded pixels are cached} */
    boolean cached() {
        return cache != null;
    }

    /** {@return whether the image at {@code position} is known not to decode} */
    boolean isUnreadable(int position) {
        return unreadable.contains(position);
    }

    /**
     * Returns the image at {@code position} as epoch {@code epoch} shows it: augmented and preprocessed.
     *
     * @param scratch {@code shape.values()} floats the augmentation may write into, or null
     * @return a new array of {@code shape.values()} values, or null if the file cannot be decoded
     */
    float[] pixels(int position, int epoch, float[] scratch) {
        float[] pixels;
        byte[][] decoded = cache;
        if (decoded != null) {
            byte[] bytes = decoded[position];
            if (bytes == null) {
                return null;
            }
            pixels = new float[bytes.length];
            for (int k = 0; k < bytes.length; k++) {
                pixels[k] = bytes[k] & 0xff;
            }
        } else {
            pixels = decode(position);
            if (pixels == null) {
                return null;
            }
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

    private float[] decode(int position) {
        LabeledImage image = images.get(position);
        try {
            return decoder.decode(image.path(), shape);
        } catch (ImageDecodingException e) {
            if (unreadable.add(position)) {
                LOG.warn("{} (skipped)", e.getMessage());
            }
            return null;
        }
    }

    /** The decoder's values are whole numbers 0..255; stored as one byte each, as {@code ImageDataSetIterator} does. */
    private static byte[] toBytes(float[] pixels) {
        byte[] bytes = new byte[pixels.length];
        for (int i = 0; i < pixels.length; i++) {
            bytes[i] = (byte) (int) pixels[i];
        }
        return bytes;
    }
}
