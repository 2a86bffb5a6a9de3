package org.cnnkit.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ResamplerTest {

    @Test
    void rowByRowResizeMatchesTheWholeImageResize() {
        BufferedImage image = TestImages.noise(97, 61, 9);
        for (int channels : new int[] {1, 3}) {
            float[] planes = PixelExtractor.toPlanar(image, channels);
            for (int[] size : new int[][] {{20, 30}, {61, 97}, {150, 40}, {7, 7}}) {
                float[] whole = Resampler.resize(planes, channels, 61, 97, size[0], size[1]);
                float[] rows = Resampler.resizeRows(PixelExtractor.rowReader(image, channels), channels, 61, 97,
                        size[0], size[1]);
                assertThat(rows).containsExactly(whole, within(1e-3f));
            }
        }
    }

    @Test
    void resizingKeepsAConstantImageConstant() {
        float[] flat = new float[2 * 13 * 17];
        Arrays.fill(flat, 42f);
        for (int[] size : new int[][] {{5, 3}, {40, 51}, {13, 2}, {1, 1}}) {
            float[] out = Resampler.resize(flat, 2, 13, 17, size[0], size[1]);
            assertThat(out).hasSize(2 * size[0] * size[1]);
            for (float v : out) {
                assertThat(v).isCloseTo(42f, within(1e-3f));
            }
        }
    }

    @Test
    void decoderResizesLargePhotosRowByRow() {
        int w = 2100;
        int h = 2000;
        assertThat((long) w * h).isGreaterThan(ImageDecoder.STREAMING_PIXELS);
        BufferedImage large = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = large.createGraphics();
        g.setColor(new Color(10, 20, 30));
        g.fillRect(0, 0, w / 2, h);
        g.setColor(new Color(200, 100, 0));
        g.fillRect(w / 2, 0, w - w / 2, h);
        g.dispose();
        float[] out = new ImageDecoder().decode(large, new InputShape(4, 4, 3));
        assertThat(new float[] {out[0], out[16], out[32]}).containsExactly(10f, 20f, 30f);
        assertThat(new float[] {out[3], out[16 + 3], out[32 + 3]}).containsExactly(200f, 100f, 0f);
    }
}
