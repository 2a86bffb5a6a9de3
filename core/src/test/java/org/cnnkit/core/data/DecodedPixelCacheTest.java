package org.cnnkit.core.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.cnnkit.core.image.ImageDecoder;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.TestImages;
import org.cnnkit.core.progress.Progress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DecodedPixelCacheTest {

    private static final InputShape SHAPE = InputShape.rgb(6);

    @TempDir
    Path root;

    private final ExecutorService pool = Executors.newFixedThreadPool(2);
    private final ImageDecoder decoder = new ImageDecoder();
    private List<LabeledImage> images;

    /** 20 images (more than one decoding task); image k is a solid colour, image 13 is not an image. */
    @BeforeEach
    void writeImages() throws IOException {
        images = new ArrayList<>();
        for (int k = 0; k < 20; k++) {
            Path file = root.resolve("img" + k + ".png");
            if (k == 13) {
                Files.writeString(file, "not an image");
            } else {
                TestImages.png(file, 9, 7, new Color(10 * k, 255 - 10 * k, 3 * k));
            }
            images.add(new LabeledImage(file, 0));
        }
    }

    @AfterEach
    void stopPool() {
        pool.shutdownNow();
    }

    @Test
    void cachedPixelsAreTheDecodedOnes() {
        DecodedPixelCache uncached = new DecodedPixelCache(images, SHAPE, decoder);
        DecodedPixelCache cached = new DecodedPixelCache(images, SHAPE, decoder);

        assertThat(cached.load(pool::submit, progress -> { })).isTrue();

        assertThat(cached.cached()).isTrue();
        assertThat(uncached.cached()).isFalse();
        for (int k = 0; k < images.size(); k++) {
            if (k != 13) {
                assertThat(cached.pixels(k, null)).as("image %d", k).containsExactly(uncached.pixels(k, null));
            }
        }
    }

    @Test
    void cachedPixelsAreCopiedIntoTheGivenArray() {
        DecodedPixelCache cache = new DecodedPixelCache(images, SHAPE, decoder);
        cache.load(pool::submit, progress -> { });
        float[] into = new float[SHAPE.values()];

        float[] pixels = cache.pixels(2, into);

        assertThat(pixels).isSameAs(into);
        int plane = SHAPE.height() * SHAPE.width();   // channels first: all red, all green, all blue
        assertThat(pixels[0]).isEqualTo(20f);
        assertThat(pixels[plane]).isEqualTo(235f);
        assertThat(pixels[2 * plane]).isEqualTo(6f);
    }

    @Test
    void loadingDecodesEveryImageOnceAndReportsProgress() {
        DecodedPixelCache cache = new DecodedPixelCache(images, SHAPE, decoder);
        List<Progress> reports = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger tasks = new AtomicInteger();

        cache.load(task -> {
            tasks.incrementAndGet();
            return pool.submit(task);
        }, reports::add);
        boolean again = cache.load(task -> {
            throw new AssertionError("a second load must not decode");
        }, reports::add);

        assertThat(again).isTrue();
        assertThat(tasks.get()).as("decoding tasks for 20 images").isGreaterThan(1);
        assertThat(reports).isNotEmpty();
        assertThat(reports.get(reports.size() - 1).task()).isEqualTo("decoding");
        assertThat(reports.get(reports.size() - 1).done()).isEqualTo(images.size());
    }

    @Test
    void anUnreadableFileIsRememberedWithTheDecodersMessage() {
        DecodedPixelCache cache = new DecodedPixelCache(images, SHAPE, decoder);
        cache.load(pool::submit, progress -> { });

        assertThat(cache.pixels(13, null)).isNull();
        assertThat(cache.isUnreadable(13)).isTrue();
        assertThat(cache.isUnreadable(12)).isFalse();
        assertThat(cache.unreadable()).containsOnlyKeys(13);
        assertThat(cache.unreadable().get(13)).contains("img13.png");
    }

    @Test
    void withoutTheCacheAnUnreadableFileIsFoundWhenRead() {
        DecodedPixelCache cache = new DecodedPixelCache(images, SHAPE, decoder);

        assertThat(cache.isUnreadable(13)).isFalse();
        assertThat(cache.pixels(13, null)).isNull();
        assertThat(cache.isUnreadable(13)).isTrue();
    }

    @Test
    void aCacheOverHalfTheHeapIsNotMadeAndReadsDecode() {
        // 40 images of 10,000 x 10,000 RGB would take 12 GB as bytes: more than half of any test heap
        InputShape huge = InputShape.rgb(10_000);
        List<LabeledImage> many = Collections.nCopies(40, images.get(0));
        assertThat(40L * huge.values()).isGreaterThan(Runtime.getRuntime().maxMemory() / 2);
        DecodedPixelCache cache = new DecodedPixelCache(many, huge, decoder);

        boolean kept = cache.load(task -> {
            throw new AssertionError("nothing may be decoded for a refused cache");
        }, progress -> { });

        assertThat(kept).isFalse();
        assertThat(cache.cached()).isFalse();
    }

    @Test
    void releasedPixelsAreDecodedAgain() {
        DecodedPixelCache cache = new DecodedPixelCache(images, SHAPE, decoder);
        cache.load(pool::submit, progress -> { });
        float[] before = cache.pixels(4, null);

        cache.release();

        assertThat(cache.cached()).isFalse();
        assertThat(cache.pixels(4, null)).containsExactly(before);
    }
}
