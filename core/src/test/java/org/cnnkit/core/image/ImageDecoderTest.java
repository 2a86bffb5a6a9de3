package org.cnnkit.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageDecoderTest {

    private static final InputShape RGB_4 = new InputShape(4, 4, 3);
    private static final InputShape GRAY_4 = new InputShape(4, 4, 1);

    @TempDir
    Path dir;

    private final ImageDecoder decoder = new ImageDecoder();

    @Test
    void grayPngGivesItsValueInGrayAndInEveryRgbChannel() {
        BufferedImage gray = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY);
        gray.getRaster().setPixels(0, 0, 4, 4, IntStream.generate(() -> 77).limit(16).toArray());
        Path file = TestImages.write(gray, "png", dir.resolve("gray.png"));
        assertThat(decoder.decode(file, GRAY_4)).containsOnly(77f);
        assertThat(decoder.decode(file, RGB_4)).hasSize(48).containsOnly(77f);
    }

    @Test
    void rgbPngGivesChannelPlanesInRgbOrderAndLumaForGray() {
        Path file = TestImages.png(dir.resolve("rgb.png"), 4, 4, new Color(200, 100, 50));
        float[] rgb = decoder.decode(file, RGB_4);
        assertThat(plane(rgb, 0, 16)).containsOnly(200f);
        assertThat(plane(rgb, 1, 16)).containsOnly(100f);
        assertThat(plane(rgb, 2, 16)).containsOnly(50f);
        // 0.299 * 200 + 0.587 * 100 + 0.114 * 50 = 124.2
        assertThat(decoder.decode(file, GRAY_4)).containsOnly(124f);
    }

    @Test
    void rgbaPngDropsAlphaAndKeepsTheColourUnderIt() {
        BufferedImage argb = new BufferedImage(4, 4, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                argb.setRGB(x, y, x < 2 ? 0x000a141e : 0x80ff0000); // transparent (10,20,30), half-opaque red
            }
        }
        Path file = TestImages.write(argb, "png", dir.resolve("rgba.png"));
        BufferedImage read = decoder.read(file);
        assertThat(read.getColorModel().hasAlpha()).isTrue();
        float[] rgb = decoder.decode(file, RGB_4);
        assertThat(rgb[0]).isEqualTo(10f);
        assertThat(rgb[16]).isEqualTo(20f);
        assertThat(rgb[32]).isEqualTo(30f);
        assertThat(rgb[3]).isEqualTo(255f);
        assertThat(rgb[16 + 3]).isEqualTo(0f);
    }

    @Test
    void palettePngLooksColoursUp() {
        Path file = TestImages.write(TestImages.palette(4, 4, Color.RED, new Color(0, 0, 255)), "png",
                dir.resolve("palette.png"));
        float[] rgb = decoder.decode(file, RGB_4);
        assertThat(new float[] {rgb[0], rgb[16], rgb[32]}).containsExactly(255f, 0f, 0f);
        assertThat(new float[] {rgb[3], rgb[16 + 3], rgb[32 + 3]}).containsExactly(0f, 0f, 255f);
        assertThat(decoder.decode(file, GRAY_4)[0]).isEqualTo(76f); // 0.299 * 255
    }

    @Test
    void sixteenBitGrayPngIsScaledToEightBitRange() {
        int[] samples = new int[16];
        samples[0] = 65535;
        samples[1] = 0;
        samples[2] = 128 * 257;
        Path file = TestImages.write(TestImages.gray16(4, 4, samples), "png", dir.resolve("gray16.png"));
        assertThat(decoder.read(file).getColorModel().getComponentSize(0)).isEqualTo(16);
        float[] gray = decoder.decode(file, GRAY_4);
        assertThat(new float[] {gray[0], gray[1], gray[2]}).containsExactly(255f, 0f, 128f);
    }

    @Test
    void sixteenBitRgbPngIsScaledToEightBitRange() {
        Path file = TestImages.write(TestImages.rgb16(4, 4, 65535, 0, 100 * 257), "png", dir.resolve("rgb16.png"));
        assertThat(decoder.read(file).getColorModel().getComponentSize(0)).isEqualTo(16);
        float[] rgb = decoder.decode(file, RGB_4);
        assertThat(new float[] {rgb[5], rgb[16 + 5], rgb[32 + 5]}).containsExactly(255f, 0f, 100f);
    }

    @Test
    void jpegBmpAndGifDecodeToTheirColours() {
        Color colour = new Color(200, 100, 50);
        Path jpeg = TestImages.write(TestImages.solid(16, 16, colour), "jpg", dir.resolve("photo.JPG"));
        Path bmp = TestImages.write(TestImages.solid(16, 16, colour), "bmp", dir.resolve("photo.bmp"));
        for (Path file : List.of(jpeg, bmp)) {
            float[] rgb = decoder.decode(file, RGB_4);
            assertAllBetween(plane(rgb, 0, 16), 200f - 3f, 200f + 3f);
            assertAllBetween(plane(rgb, 1, 16), 100f - 3f, 100f + 3f);
            assertAllBetween(plane(rgb, 2, 16), 50f - 3f, 50f + 3f);
        }
    }

    @Test
    void cmykJpegIsConvertedFromInkAmountsLikePillow() {
        Path file = TestImages.cmykJpeg(dir.resolve("cmyk.jpg"), 8, 8, new int[] {10, 200, 250, 30});
        BufferedImage read = decoder.read(file);
        assertThat(read.getColorModel().getColorSpace().getType()).isEqualTo(java.awt.color.ColorSpace.TYPE_CMYK);
        int[] ink = read.getRaster().getPixel(4, 4, (int[]) null);
        float white = 255f - ink[3];
        float[] rgb = decoder.decode(file, new InputShape(8, 8, 3));
        assertThat(rgb[4 * 8 + 4]).isCloseTo(Math.round(white * (255 - ink[0]) / 255f), within(1f));
        assertThat(rgb[64 + 4 * 8 + 4]).isCloseTo(Math.round(white * (255 - ink[1]) / 255f), within(1f));
        assertThat(rgb[128 + 4 * 8 + 4]).isCloseTo(Math.round(white * (255 - ink[2]) / 255f), within(1f));
    }

    @Test
    void animatedGifGivesItsFirstFrame() {
        Path gif = TestImages.animatedGif(dir.resolve("anim.gif"), 8, 8, Color.RED, Color.BLUE);
        float[] rgb = decoder.decode(gif, RGB_4);
        assertThat(plane(rgb, 0, 16)).containsOnly(255f);
        assertThat(plane(rgb, 2, 16)).containsOnly(0f);
    }

    @Test
    void upscalingInterpolatesBilinearlyBetweenPixelCentres() {
        BufferedImage image = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
        image.getRaster().setPixels(0, 0, 2, 1, new int[] {0, 100});
        // output centres at source x = -0.25, 0.25, 0.75, 1.25 (clamped at the edges)
        assertThat(decoder.decode(image, new InputShape(1, 4, 1))).containsExactly(0f, 25f, 75f, 100f);
    }

    @Test
    void downscalingAveragesUnderAWidenedTriangleFilter() {
        BufferedImage image = new BufferedImage(8, 1, BufferedImage.TYPE_BYTE_GRAY);
        image.getRaster().setPixels(0, 0, 8, 1, new int[] {0, 10, 20, 30, 40, 50, 60, 70});
        // weights 1/4, 3/4, 3/4, 1/4 (normalised) around each output centre; renormalised at the edges
        assertThat(decoder.decode(image, new InputShape(1, 4, 1))).containsExactly(7f, 25f, 45f, 63f);
    }

    @Test
    void downscalingACheckerboardGivesMidGrayNotAliasing() {
        BufferedImage image = new BufferedImage(64, 64, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                image.getRaster().setSample(x, y, 0, (x + y) % 2 == 0 ? 255 : 0);
            }
        }
        float[] small = decoder.decode(image, new InputShape(10, 10, 1));
        assertAllBetween(small, 110f, 145f);
    }

    @Test
    void oneByOneImageFillsTheWholeOutput() {
        Path file = TestImages.png(dir.resolve("dot.png"), 1, 1, new Color(9, 8, 7));
        float[] rgb = decoder.decode(file, new InputShape(3, 5, 3));
        assertThat(plane(rgb, 0, 15)).containsOnly(9f);
        assertThat(plane(rgb, 2, 15)).containsOnly(7f);
    }

    @Test
    void nonAsciiFileNamesDecode() {
        String name = "Ziffer-ü-数字 1.png";
        String encoding = System.getProperty("sun.jnu.encoding", "UTF-8");
        Assumptions.assumeTrue(Charset.forName(encoding).newEncoder().canEncode(name),
                "file names are encoded as " + encoding + " here: skipping");
        Path file = TestImages.png(dir.resolve(name), 3, 3, new Color(1, 2, 3));
        assertThat(decoder.decode(file, new InputShape(3, 3, 3))[0]).isEqualTo(1f);
    }

    @Test
    void truncatedPngIsRefusedWithItsPath() {
        Path whole = TestImages.write(TestImages.noise(64, 64, 1), "png", dir.resolve("whole.png"));
        Path cut = TestImages.truncated(whole, dir.resolve("cut.png"), size(whole) / 2);
        assertThatThrownBy(() -> decoder.read(cut))
                .isInstanceOf(ImageDecodingException.class)
                .hasMessageContaining(cut.toString());
    }

    @Test
    void truncatedJpegIsRefusedNotHalfDecoded() {
        Path whole = TestImages.write(TestImages.noise(64, 64, 2), "jpg", dir.resolve("whole.jpg"));
        assertThat(decoder.decode(whole, RGB_4)).hasSize(48);
        Path cut = TestImages.truncated(whole, dir.resolve("cut.jpg"), size(whole) / 2);
        assertThatThrownBy(() -> decoder.decode(cut, RGB_4))
                .isInstanceOf(ImageDecodingException.class)
                .hasMessageContaining(cut.toString())
                .hasMessageContaining("truncated");
    }

    @Test
    void truncatedGifAndBmpAreRefused() {
        Path gif = TestImages.write(TestImages.noise(64, 64, 3), "gif", dir.resolve("whole.gif"));
        Path bmp = TestImages.write(TestImages.solid(64, 64, Color.ORANGE), "bmp", dir.resolve("whole.bmp"));
        for (Path whole : List.of(gif, bmp)) {
            Path cut = TestImages.truncated(whole, dir.resolve("cut-" + whole.getFileName()), size(whole) / 2);
            assertThatThrownBy(() -> decoder.read(cut))
                    .isInstanceOf(ImageDecodingException.class)
                    .hasMessageContaining(cut.toString());
        }
    }

    @Test
    void formatsOutsidePngJpegBmpGifAreRefusedEvenWithAnImageName() {
        Path tiff = TestImages.write(TestImages.solid(4, 4, Color.RED), "tiff", dir.resolve("disguised.png"));
        assertThatThrownBy(() -> decoder.read(tiff))
                .isInstanceOf(ImageDecodingException.class)
                .hasMessageContaining(tiff.toString())
                .hasMessageContaining("TIF");
    }

    @Test
    void zeroByteFileIsRefused() throws IOException {
        Path empty = Files.createFile(dir.resolve("empty.png"));
        assertThatThrownBy(() -> decoder.read(empty))
                .isInstanceOf(ImageDecodingException.class)
                .hasMessageContaining(empty.toString())
                .hasMessageContaining("empty");
    }

    @Test
    void textFileNamedJpgIsRefused() throws IOException {
        Path text = Files.writeString(dir.resolve("notes.jpg"), "not a picture\n", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> decoder.read(text))
                .isInstanceOf(ImageDecodingException.class)
                .hasMessageContaining(text.toString())
                .hasMessageContaining("not an image");
    }

    @Test
    void missingFileIsRefusedWithItsPath() {
        Path missing = dir.resolve("nowhere.png");
        assertThatThrownBy(() -> decoder.read(missing))
                .isInstanceOf(ImageDecodingException.class)
                .hasMessageContaining(missing.toString())
                .hasMessageContaining("no such file");
    }

    @Test
    void headerClaimingSixtyThousandSquaredPixelsIsRefusedBeforeDecoding() {
        Path bomb = TestImages.pngHeaderClaiming(dir.resolve("bomb.png"), 60000, 60000);
        assertThatThrownBy(() -> decoder.read(bomb))
                .isInstanceOf(ImageDecodingException.class)
                .hasMessageContaining(bomb.toString())
                .hasMessageContaining("60000x60000")
                .hasMessageContaining("limit");
    }

    @Test
    void pixelLimitIsConfigurable() {
        Path file = TestImages.png(dir.resolve("twenty.png"), 20, 20, Color.GREEN);
        assertThat(ImageDecoder.builder().optMaxPixels(400).build().read(file).getWidth()).isEqualTo(20);
        assertThatThrownBy(() -> ImageDecoder.builder().optMaxPixels(399).build().read(file))
                .isInstanceOf(ImageDecodingException.class)
                .hasMessageContaining("400 pixels");
        assertThatThrownBy(() -> new ImageDecoder(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void decodingFromManyThreadsGivesTheSameResultAsOneThread() {
        Path file = TestImages.write(TestImages.noise(40, 30, 3), "png", dir.resolve("noise.png"));
        float[] expected = decoder.decode(file, RGB_4);
        List<float[]> results = IntStream.range(0, 32).parallel()
                .mapToObj(i -> decoder.decode(file, RGB_4)).toList();
        assertThat(results).allSatisfy(r -> assertThat(r).containsExactly(expected));
    }

    private static float[] plane(float[] chw, int channel, int planeSize) {
        float[] out = new float[planeSize];
        System.arraycopy(chw, channel * planeSize, out, 0, planeSize);
        return out;
    }

    private static void assertAllBetween(float[] values, float low, float high) {
        for (float v : values) {
            assertThat(v).isBetween(low, high);
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
