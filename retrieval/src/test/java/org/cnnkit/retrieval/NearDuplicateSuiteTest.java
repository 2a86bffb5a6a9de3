package org.cnnkit.retrieval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.progress.ProgressListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NearDuplicateSuiteTest {

    @TempDir
    Path dir;

    private static BufferedImage noise(int width, int height, long seed) {
        Random random = new Random(seed);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt(0x1000000));
            }
        }
        return image;
    }

    @Test
    void theSampleIsDistinctSortedAndTheSameForTheSameSeed() {
        NearDuplicateSuite suite = NearDuplicateSuite.builder().optSampleSize(30).optSeed(5).build();
        int[] sample = suite.sample(100);
        assertThat(sample).hasSize(30).isSorted().doesNotHaveDuplicates();
        assertThat(java.util.Arrays.stream(sample).allMatch(i -> i >= 0 && i < 100)).isTrue();
        assertThat(NearDuplicateSuite.builder().optSampleSize(30).optSeed(5).build().sample(100)).isEqualTo(sample);
        assertThat(NearDuplicateSuite.builder().optSampleSize(30).optSeed(6).build().sample(100)).isNotEqualTo(sample);
        assertThat(suite.sample(10)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    }

    @Test
    void everyDistortionIsReproducibleAndChangesThePixels() {
        NearDuplicateSuite suite = NearDuplicateSuite.builder().build();
        BufferedImage original = noise(120, 80, 1);
        for (NearDuplicateSuite.Distortion kind : NearDuplicateSuite.Distortion.values()) {
            BufferedImage copy = suite.distort(original, 7, kind);
            BufferedImage again = suite.distort(original, 7, kind);
            assertThat(pixels(copy)).as(kind.key()).isEqualTo(pixels(again));
            boolean sameSize = copy.getWidth() == 120 && copy.getHeight() == 80;
            assertThat(sameSize && java.util.Arrays.equals(pixels(copy), pixels(original))).as(kind.key()).isFalse();
        }
    }

    @Test
    void geometricDistortionsStayWithinTheirRanges() {
        NearDuplicateSuite suite = NearDuplicateSuite.builder().build();
        BufferedImage original = noise(200, 100, 2);
        for (int position = 0; position < 20; position++) {
            BufferedImage crop = suite.distort(original, position, NearDuplicateSuite.Distortion.CROP);
            assertThat(crop.getWidth()).isBetween(170, 190);
            assertThat(crop.getHeight()).isBetween(85, 95);
            BufferedImage small = suite.distort(original, position, NearDuplicateSuite.Distortion.DOWNSCALE);
            assertThat(small.getWidth()).isBetween(100, 160);
            assertThat(small.getHeight() * 2).isBetween(small.getWidth() - 2, small.getWidth() + 2);
            BufferedImage rotated = suite.distort(original, position, NearDuplicateSuite.Distortion.ROTATION);
            assertThat(rotated.getWidth()).isEqualTo(200);
            assertThat(rotated.getHeight()).isEqualTo(100);
        }
    }

    @Test
    void brightnessAndContrastMoveValuesByAtMostTheirShare() {
        BufferedImage grey = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                grey.setRGB(x, y, 0x808080);
            }
        }
        BufferedImage brighter = NearDuplicateSuite.brightnessContrast(grey, 0.1, 1.0);
        assertThat(brighter.getRGB(0, 0) & 0xFF).isEqualTo(154);
        BufferedImage contrast = NearDuplicateSuite.brightnessContrast(grey, 0, 1.1);
        assertThat(contrast.getRGB(0, 0) & 0xFF).isEqualTo(128);
    }

    @Test
    void extractGivesOneQueryPerSampledImageAndDistortion() {
        List<Path> files = new ArrayList<>();
        Color[] colours = {Color.RED, Color.GREEN, Color.BLUE, Color.YELLOW, Color.CYAN};
        for (int i = 0; i < colours.length; i++) {
            files.add(TinyExtractor.drawPng(dir.resolve(i + ".png"), colours[i], Color.BLACK, i % 2 == 0, 64));
        }
        NearDuplicateSuite suite = NearDuplicateSuite.builder().optSampleSize(3).build();
        NearDuplicateSuite.Queries queries = suite.extract(files, new TinyExtractor(4), ProgressListener.none());
        int kinds = NearDuplicateSuite.Distortion.values().length;
        assertThat(queries.size()).isEqualTo(3 * kinds);
        assertThat(queries.vectors()[0]).hasSize(12);
        assertThat(queries.distortions().subList(0, kinds)).containsExactly(NearDuplicateSuite.Distortion.values());
        int[] sample = suite.sample(files.size());
        assertThat(queries.originals()[0]).isEqualTo(sample[0]);
        assertThat(queries.originals()[kinds]).isEqualTo(sample[1]);
    }

    @Test
    void queriesExtractedInGroupsEqualEachCopyExtractedAlone() {
        // 12 sampled images: groups of 5, 5 and 2, their copies in batches of 4 images
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < 14; i++) {
            Color background = new Color(Color.HSBtoRGB(i / 14f, 0.8f, 0.9f));
            files.add(TinyExtractor.drawPng(dir.resolve(i + ".png"), background, Color.BLACK, i % 2 == 0, 48 + i));
        }
        NearDuplicateSuite suite = NearDuplicateSuite.builder().optSampleSize(12).optSeed(3).build();
        TinyExtractor extractor = new TinyExtractor(4);
        NearDuplicateSuite.Queries queries = suite.extract(files, extractor, ProgressListener.none());

        NearDuplicateSuite.Distortion[] kinds = NearDuplicateSuite.Distortion.values();
        int[] sample = suite.sample(files.size());
        assertThat(queries.size()).isEqualTo(12 * kinds.length);
        org.cnnkit.core.image.ImageDecoder decoder = new org.cnnkit.core.image.ImageDecoder();
        for (int q = 0; q < queries.size(); q++) {
            int position = sample[q / kinds.length];
            NearDuplicateSuite.Distortion kind = kinds[q % kinds.length];
            assertThat(queries.originals()[q]).isEqualTo(position);
            assertThat(queries.distortions().get(q)).isEqualTo(kind);
            float[] alone = extractor.extract(suite.distort(decoder.read(files.get(position)), position, kind));
            assertThat(queries.vectors()[q]).as("query %d", q).containsExactly(alone, within(1e-5f));
        }
    }

    @Test
    void anUnreadableSampledFileIsNamed() {
        Path broken = dir.resolve("broken.png");
        TinyExtractor.drawPng(dir.resolve("ok.png"), Color.RED, Color.BLACK, true, 32);
        try {
            java.nio.file.Files.writeString(broken, "not an image");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        NearDuplicateSuite suite = NearDuplicateSuite.builder().optSampleSize(2).build();
        assertThatThrownBy(() -> suite.extract(List.of(dir.resolve("ok.png"), broken), new TinyExtractor(4),
                ProgressListener.none())).isInstanceOf(CnnkitException.class).hasMessageContaining("broken.png");
    }

    @Test
    void aSampleOfNoImagesIsRefused() {
        assertThatThrownBy(() -> NearDuplicateSuite.builder().optSampleSize(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1");
    }

    private static int[] pixels(BufferedImage image) {
        return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    }
}
