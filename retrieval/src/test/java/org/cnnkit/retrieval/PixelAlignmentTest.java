package org.cnnkit.retrieval;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PixelAlignmentTest {

    /** A 192x128 picture of 14 soft coloured blobs on a gradient, different for every seed. */
    static BufferedImage picture(long seed) {
        Random random = new Random(seed);
        int w = 192;
        int h = 128;
        int blobs = 14;
        double[][] blob = new double[blobs][];
        for (int b = 0; b < blobs; b++) {
            blob[b] = new double[] {random.nextDouble() * w, random.nextDouble() * h, 6 + random.nextDouble() * 20,
                random.nextDouble() * 255, random.nextDouble() * 255, random.nextDouble() * 255};
        }
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double[] rgb = {60 + 80.0 * x / w, 60 + 60.0 * y / h, 90};
                for (double[] b : blob) {
                    double weight = Math.exp(-((x - b[0]) * (x - b[0]) + (y - b[1]) * (y - b[1])) / (2 * b[2] * b[2]));
                    for (int c = 0; c < 3; c++) {
                        rgb[c] = rgb[c] * (1 - weight) + b[3 + c] * weight;
                    }
                }
                image.setRGB(x, y, ((int) rgb[0] << 16) | ((int) rgb[1] << 8) | (int) rgb[2]);
            }
        }
        return image;
    }

    private static double score(BufferedImage a, BufferedImage b) {
        return PixelAlignment.alignedCorrelation(PixelAlignment.thumbnail(a), PixelAlignment.thumbnail(b), -1);
    }

    @Test
    void aCopyCroppedRotatedScaledAndResavedAlignsWithItsOriginal() {
        BufferedImage original = picture(1);
        NearDuplicateSuite suite = NearDuplicateSuite.builder().build();
        for (NearDuplicateSuite.Distortion distortion : NearDuplicateSuite.Distortion.values()) {
            assertThat(score(original, suite.distort(original, 3, distortion))).as(distortion.key())
                    .isGreaterThan(DuplicateFinder.DEFAULT_MIN_CORRELATION);
        }
        BufferedImage rotated = NearDuplicateSuite.rotate(NearDuplicateSuite.crop(original, 0.15, new Random(2)),
                Math.toRadians(-5));
        assertThat(score(rotated, original)).isGreaterThan(DuplicateFinder.DEFAULT_MIN_CORRELATION);
    }

    @Test
    void distinctPicturesDoNotAlign() {
        for (long seed = 10; seed < 16; seed++) {
            assertThat(score(picture(seed), picture(seed + 100))).isLessThan(0.8);
        }
    }

    @Test
    void aFlatImageHasNoCorrelation() {
        BufferedImage flat = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
        assertThat(score(flat, picture(1))).isEqualTo(PixelAlignment.NO_OVERLAP);
    }

    @Test
    void theThumbnailAveragesCellsAndKeepsTheAspect() {
        BufferedImage image = new BufferedImage(256, 128, BufferedImage.TYPE_INT_RGB);
        for (int x = 128; x < 256; x++) {
            for (int y = 0; y < 128; y++) {
                image.setRGB(x, y, 0xFFFFFF);
            }
        }
        PixelAlignment.Thumbnail thumbnail = PixelAlignment.thumbnail(image);
        assertThat(thumbnail.aspectX()).isEqualTo(1f);
        assertThat(thumbnail.aspectY()).isEqualTo(0.5f);
        assertThat(thumbnail.grey()[0] & 0xFF).isZero();
        assertThat(thumbnail.grey()[PixelAlignment.SIDE - 1] & 0xFF).isEqualTo(255);
        assertThat(thumbnail.grey()).hasSize(PixelAlignment.SIDE * PixelAlignment.SIDE);
    }
}
