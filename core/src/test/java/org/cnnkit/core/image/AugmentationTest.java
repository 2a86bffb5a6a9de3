package org.cnnkit.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AugmentationTest {

    private static final InputShape SHAPE = new InputShape(12, 10, 3);

    private static float[] noise(InputShape shape, long seed) {
        Random random = new Random(seed);
        float[] chw = new float[shape.values()];
        for (int i = 0; i < chw.length; i++) {
            chw[i] = random.nextInt(256);
        }
        return chw;
    }

    /** A one-channel h x w image, 0 everywhere but 255 at (row, col). */
    private static float[] dot(int h, int w, int row, int col) {
        float[] img = new float[h * w];
        img[row * w + col] = 255f;
        return img;
    }

    private static float[] warp(float[] src, int h, int w, double[] matrix) {
        float[] out = new float[src.length];
        Augmentation.warp(src, 1, h, w, matrix, out);
        return out;
    }

    @Test
    void noneAndAnEmptyBuilderAreIdentitiesThatCopyPixelsUnchanged() {
        assertThat(Augmentation.none().isIdentity()).isTrue();
        assertThat(Augmentation.builder().build().isIdentity()).isTrue();
        assertThat(Augmentation.notebookDigits().isIdentity()).isFalse();
        float[] image = noise(SHAPE, 1);
        float[] out = Augmentation.none().apply(image, SHAPE, new SplittableRandom(5));
        assertThat(out).isNotSameAs(image).containsExactly(image);
    }

    @Test
    void zeroTransformIsExactlyTheIdentityMapping() {
        float[] image = noise(new InputShape(7, 9, 1), 2);
        assertThat(warp(image, 7, 9, Augmentation.matrix(7, 9, 0, 0, 0, 0, 1, 1, false, false)))
                .containsExactly(image);
    }

    @Test
    void pureShiftMovesAPixelByTheShiftAndFillsWithTheNearestEdge() {
        // output (r, c) samples input (r + 2, c + 3), as Keras' tx (rows) and ty (columns)
        float[] out = warp(dot(8, 8, 5, 6), 8, 8, Augmentation.matrix(8, 8, 0, 2, 3, 0, 1, 1, false, false));
        assertThat(out[3 * 8 + 3]).isEqualTo(255f);
        assertThat(sum(out)).isEqualTo(255f);

        float[] ramp = new float[8];
        for (int c = 0; c < 8; c++) {
            ramp[c] = c * 10;
        }
        float[] shifted = warp(ramp, 1, 8, Augmentation.matrix(1, 8, 0, 0, 3, 0, 1, 1, false, false));
        assertThat(shifted).containsExactly(30, 40, 50, 60, 70, 70, 70, 70);
    }

    @Test
    void ninetyDegreeRotationTurnsAPixelAboutTheCentre() {
        // in = R (out - centre) + centre with R = [[0, -1], [1, 0]]: output (r, c) samples input (4 - c, r)
        float[] out = warp(dot(5, 5, 0, 1), 5, 5, Augmentation.matrix(5, 5, 90, 0, 0, 0, 1, 1, false, false));
        assertThat(out[1 * 5 + 4]).isEqualTo(255f);
        assertThat(sum(out)).isEqualTo(255f);
    }

    @Test
    void zoomAboveOneShrinksTheContentTowardsTheCentre() {
        // zoom 2: output (r, c) samples input 2 (r - 3) + 3, 2 (c - 3) + 3; input (5, 1) appears at (4, 2)
        float[] out = warp(dot(7, 7, 5, 1), 7, 7, Augmentation.matrix(7, 7, 0, 0, 0, 0, 2, 2, false, false));
        assertThat(out[4 * 7 + 2]).isEqualTo(255f);
    }

    @Test
    void flipsMirrorRowsOrColumns() {
        float[] horizontal = warp(dot(4, 6, 1, 0), 4, 6, Augmentation.matrix(4, 6, 0, 0, 0, 0, 1, 1, true, false));
        assertThat(horizontal[1 * 6 + 5]).isEqualTo(255f);
        float[] vertical = warp(dot(4, 6, 1, 0), 4, 6, Augmentation.matrix(4, 6, 0, 0, 0, 0, 1, 1, false, true));
        assertThat(vertical[2 * 6]).isEqualTo(255f);
    }

    @Test
    void flipsAreOffByDefaultAndOnlyMirrorWhenAsked() {
        Augmentation rotation = Augmentation.builder().optRotationRange(10).build();
        assertThat(rotation.horizontalFlip()).isFalse();
        assertThat(rotation.verticalFlip()).isFalse();
        assertThat(Augmentation.notebookDigits().horizontalFlip()).isFalse();

        InputShape shape = new InputShape(3, 4, 1);
        float[] image = noise(shape, 3);
        float[] mirrored = warp(image, 3, 4, Augmentation.matrix(3, 4, 0, 0, 0, 0, 1, 1, true, false));
        Augmentation flip = Augmentation.builder().optHorizontalFlip(true).build();
        int flipped = 0;
        for (long seed = 0; seed < 40; seed++) {
            float[] out = flip.apply(image, shape, new SplittableRandom(seed));
            boolean same = Arrays.equals(out, image);
            boolean mirror = Arrays.equals(out, mirrored);
            assertThat(same || mirror).isTrue();
            flipped += mirror ? 1 : 0;
        }
        assertThat(flipped).isBetween(5, 35);
    }

    @Test
    void sameSeedGivesTheSameOutputAndOtherSeedsDiffer() {
        float[] image = noise(SHAPE, 4);
        Augmentation augmentation = Augmentation.notebookDigits();
        float[] a = augmentation.apply(image, SHAPE, new SplittableRandom(11));
        float[] b = augmentation.apply(image, SHAPE, new SplittableRandom(11), new float[SHAPE.values()]);
        float[] c = augmentation.apply(image, SHAPE, new SplittableRandom(12));
        assertThat(a).containsExactly(b);
        assertThat(a).isNotEqualTo(c);
        assertThat(a).isNotEqualTo(image);
    }

    @Test
    void bilinearSamplingStaysWithinTheInputRange() {
        float[] image = noise(SHAPE, 5);
        float[] out = Augmentation.builder().optRotationRange(45).optZoomRange(0.3).optShearRange(20)
                .optWidthShiftRange(0.2).optHeightShiftRange(0.2).build()
                .apply(image, SHAPE, new SplittableRandom(6));
        for (float v : out) {
            assertThat(v).isBetween(0f, 255f);
        }
    }

    @Test
    void buildRefusesOutOfRangeSettings() {
        assertThatThrownBy(() -> Augmentation.builder().optRotationRange(-1).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rotation range");
        assertThatThrownBy(() -> Augmentation.builder().optZoomRange(1).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("zoom range");
        assertThatThrownBy(() -> Augmentation.builder().optWidthShiftRange(1.5).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("width shift");
        assertThatThrownBy(() -> Augmentation.builder().optShearRange(Double.NaN).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("shear");
    }

    @Test
    void applyRefusesArraysOfTheWrongSize() {
        assertThatThrownBy(() -> Augmentation.notebookDigits().apply(new float[5], SHAPE, new SplittableRandom(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(String.valueOf(SHAPE.values()));
    }

    private static float sum(float[] values) {
        float s = 0;
        for (float v : values) {
            s += v;
        }
        return s;
    }
}
