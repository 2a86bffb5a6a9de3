package org.cnnkit.core.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.cnnkit.core.image.ImageDecoder;
import org.cnnkit.core.image.ImageDecodingException;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.core.progress.ProgressTracker;
import org.cnnkit.core.runtime.NativeWorkers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * <b>For cnnkit's own image pipelines, not part of the API</b> ({@link ImageDataSetIterator} and
 * {@code org.cnnkit.core.datavec.PipelineRecordReader} share it; it is public only because they live in two
 * packages, and it may change in any release).
 *
 * <p>The decoded, resized, un-augmented pixels of a list of images by position: each file decoded on demand, or,
 * once {@link #load} has run, all of them decoded once and kept as 8-bit values ({@code shape.values()} bytes per
 * image; the decoder's values are whole numbers 0..255, so nothing is lost). A cache that would take more than half
 * the maximum heap is not made (a warning says so) and every read decodes the file again. Files that cannot be
 * decoded are remembered with the decoder's message and logged once. Thread-safe: the pipelines' workers read it
 * concurrently.
 */
public final class DecodedPixelCache {

    private static final Logger LOG = LoggerFactory.getLogger(DecodedPixelCache.class);
    /** The cache may take at most this share of the maximum heap; above it, files are decoded at every read. */
    private static final double CACHE_HEAP_SHARE = 0.5;
    /** Images per decoding task when the cache is filled. */
    private static final int DECODE_CHUNK = 8;

    private final List<LabeledImage> images;
    private final InputShape shape;
    private final ImageDecoder decoder;
    /** Position of each image that cannot be decoded to the decoder's message. */
    private final Map<Integer, String> unreadable = new ConcurrentHashMap<>();
    private volatile byte[][] cache;
    private boolean loadTried;

    /**
     * Makes an empty cache; nothing is decoded before {@link #load} or {@link #pixels}.
     *
     * @param images the images, by position
     * @param shape the size and channels every image is decoded to
     * @param decoder the decoder
     */
    public DecodedPixelCache(List<LabeledImage> images, InputShape shape, ImageDecoder decoder) {
        this.images = images;
        this.shape = shape;
        this.decoder = decoder;
    }

    /**
     * Decodes every image once into the 8-bit cache, in tasks of a few images run by {@code workers}, unless the
     * cache would take more than half the maximum heap (then a warning says so and every read decodes again). Only
     * the first call does anything.
     *
     * @param workers starts a task on a worker thread, such as {@code ExecutorService::submit} or
     *     {@code NativeWorkers::submit}
     * @param listener told about the decoding (task {@code "decoding"}, one unit per image)
     * @return whether the cache is kept
     * @throws RuntimeException a decoding task's unchecked exception (the other tasks are cancelled)
     */
    public synchronized boolean load(Function<Callable<Void>, Future<Void>> workers, ProgressListener listener) {
        if (loadTried) {
            return cache != null;
        }
        loadTried = true;
        long bytes = (long) images.size() * shape.values();
        long limit = (long) (Runtime.getRuntime().maxMemory() * CACHE_HEAP_SHARE);
        if (bytes > limit) {
            LOG.warn("not caching decoded pixels: {} images of {} need {} MB, more than half the maximum heap ({} MB);"
                    + " every epoch decodes the files again (raise -Xmx to cache)", images.size(), shape, bytes >> 20,
                    Runtime.getRuntime().maxMemory() >> 20);
            return false;
        }
        LOG.debug("caching decoded pixels of {} images: {} MB", images.size(), bytes >> 20);
        cache = decodeAll(workers, listener);
        return true;
    }

    /** {@return whether the pixels are cached} */
    public boolean cached() {
        return cache != null;
    }

    /**
     * Returns the image at {@code position} as values 0..255: from the cache, or decoded from its file.
     *
     * @param position the image's position
     * @param into {@code shape.values()} floats to copy cached pixels into, or null for a new array
     * @return {@code into} (or a new array) with the cached pixels, a new array with the decoded ones, or null if the
     *     file cannot be decoded
     */
    public float[] pixels(int position, float[] into) {
        byte[][] decoded = cache;
        if (decoded == null) {
            return decode(position);
        }
        byte[] bytes = decoded[position];
        if (bytes == null) {
            return null;
        }
        float[] values = into != null ? into : new float[bytes.length];
        for (int k = 0; k < bytes.length; k++) {
            values[k] = bytes[k] & 0xff;
        }
        return values;
    }

    /**
     * Tells whether an image is known not to decode: with the cache every such image is known after {@link #load},
     * without it only the ones read so far.
     *
     * @param position the image's position
     * @return whether its file was found not to decode
     */
    public boolean isUnreadable(int position) {
        return unreadable.containsKey(position);
    }

    /** {@return the positions of the images known not to decode, to the decoder's message (a live view)} */
    public Map<Integer, String> unreadable() {
        return Collections.unmodifiableMap(unreadable);
    }

    /** Drops the cached pixels (their memory); later reads decode the files. */
    public void release() {
        cache = null;
    }

    private byte[][] decodeAll(Function<Callable<Void>, Future<Void>> workers, ProgressListener listener) {
        byte[][] decoded = new byte[images.size()][];
        ProgressTracker tracker = ProgressTracker.start("decoding", images.size(), listener);
        List<Future<Void>> tasks = new ArrayList<>();
        try {
            for (int start = 0; start < images.size(); start += DECODE_CHUNK) {
                int from = start;
                int to = Math.min(images.size(), start + DECODE_CHUNK);
                tasks.add(workers.apply(() -> {
                    for (int i = from; i < to; i++) {
                        float[] pixels = decode(i);
                        if (pixels != null) {
                            decoded[i] = toBytes(pixels);
                        }
                        tracker.advance(1);
                    }
                    return null;
                }));
            }
            for (Future<Void> task : tasks) {
                NativeWorkers.await(task, "decoding images");
            }
        } catch (RuntimeException | Error e) {
            tasks.forEach(t -> t.cancel(true));
            throw e;
        }
        tracker.finish();
        if (!unreadable.isEmpty()) {
            LOG.warn("{} of {} image files could not be decoded and are left out", unreadable.size(), images.size());
        }
        return decoded;
    }

    private float[] decode(int position) {
        try {
            return decoder.decode(images.get(position).path(), shape);
        } catch (ImageDecodingException e) {
            if (unreadable.putIfAbsent(position, e.getMessage()) == null) {
                LOG.warn("{} (skipped)", e.getMessage());
            }
            return null;
        }
    }

    /** The decoder's values are whole numbers 0..255: one byte each. */
    private static byte[] toBytes(float[] pixels) {
        byte[] bytes = new byte[pixels.length];
        for (int i = 0; i < pixels.length; i++) {
            bytes[i] = (byte) (int) pixels[i];
        }
        return bytes;
    }
}
