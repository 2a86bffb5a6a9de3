package org.cnnkit.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class PreprocessingTest {

    @Test
    void rescaleMapsPixelRangeToUnitInterval() {
        float[] px = {0f, 127.5f, 255f};
        Preprocessing.RESCALE.applyInPlace(px, 1);
        assertThat(px).containsExactly(new float[] {0f, 0.5f, 1f}, within(1e-6f));
    }

    @Test
    void mobileNetV2MapsPixelRangeToMinusOneOne() {
        float[] px = {0f, 127.5f, 255f};
        Preprocessing.MOBILENET_V2.applyInPlace(px, 1);
        assertThat(px).containsExactly(new float[] {-1f, 0f, 1f}, within(1e-6f));
    }

    @Test
    void caffeSwapsRedAndBlueAndSubtractsImageNetMeans() {
        // one pixel, planes R, G, B
        float[] px = {200f, 100f, 50f};
        Preprocessing.VGG16_CAFFE.applyInPlace(px, 3);
        assertThat(px).containsExactly(new float[] {50f - 103.939f, 100f - 116.779f, 200f - 123.68f}, within(1e-4f));
    }

    @Test
    void caffeRefusesGrayscale() {
        assertThatThrownBy(() -> Preprocessing.VGG16_CAFFE.applyInPlace(new float[4], 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("3 channels");
    }

    @Test
    void noneLeavesPixelsAlone() {
        float[] px = {3f, 4f};
        Preprocessing.NONE.applyInPlace(px, 1);
        assertThat(px).containsExactly(3f, 4f);
    }
}
