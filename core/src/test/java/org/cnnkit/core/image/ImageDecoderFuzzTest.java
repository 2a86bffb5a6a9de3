package org.cnnkit.core.image;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fuzzes {@link ImageDecoder} with Jazzer: any bytes, written to a file, either decode to values in [0, 255] or are
 * refused with an {@link ImageDecodingException} naming the file. Anything else (another exception, an error, a
 * hang) is a finding.
 *
 * <p>In the normal build this runs in regression mode over the committed inputs in
 * {@code ImageDecoderFuzzTestInputs/decodesOrRefusesWithAClearError} (small valid PNG, JPEG, BMP and GIF files
 * written by {@link #main}, plus every input a fuzzing run found); {@code -Pfuzz} fuzzes it (docs/reliability.md).
 */
class ImageDecoderFuzzTest {

    /**
     * 1 megapixel: a header claiming more is refused before any pixel memory is taken (larger images within the
     * default limit only repeat the same code, slowly, under the fuzzer's instrumentation).
     */
    private static final ImageDecoder DECODER = ImageDecoder.builder().optMaxPixels(1_000_000L).build();
    private static final InputShape SHAPE = new InputShape(8, 8, 3);
    private static final Path FILE = temporaryFile();

    @FuzzTest
    void decodesOrRefusesWithAClearError(byte[] bytes) throws IOException {
        Files.write(FILE, bytes);
        try {
            float[] values = DECODER.decode(FILE, SHAPE);
            assertThat(values).hasSize(SHAPE.values());
            for (float v : values) {
                assertThat(v).isBetween(0f, 255f);
            }
        } catch (ImageDecodingException e) {
            assertThat(e.getMessage()).contains(FILE.toString());
        }
    }

    private static Path temporaryFile() {
        try {
            Path file = Files.createTempFile("cnnkit-fuzz-image", ".img");
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes the seed inputs: one small valid file of each format the decoder reads, in several colour types, a
     * truncated JPEG and a PNG header claiming 60000 x 60000 pixels.
     *
     * @param args the inputs folder ({@code src/test/resources/org/cnnkit/core/image/ImageDecoderFuzzTestInputs/
     *     decodesOrRefusesWithAClearError})
     */
    public static void main(String[] args) throws IOException {
        Path folder = Path.of(args[0]);
        Files.createDirectories(folder);
        TestImages.write(TestImages.noise(6, 5, 1), "png", folder.resolve("rgb.png"));
        TestImages.write(TestImages.gray16(3, 2, new int[] {0, 1000, 20000, 40000, 60000, 65535}), "png",
                folder.resolve("gray16.png"));
        TestImages.write(TestImages.palette(4, 3, Color.RED, Color.BLUE), "png", folder.resolve("palette.png"));
        TestImages.write(TestImages.noise(9, 7, 2), "jpg", folder.resolve("rgb.jpg"));
        TestImages.cmykJpeg(folder.resolve("cmyk.jpg"), 4, 4, new int[] {10, 200, 30, 40});
        TestImages.write(TestImages.noise(5, 3, 3), "bmp", folder.resolve("rgb.bmp"));
        TestImages.write(TestImages.palette(5, 4, Color.GREEN, Color.BLACK), "gif", folder.resolve("palette.gif"));
        TestImages.animatedGif(folder.resolve("animated.gif"), 3, 3, Color.RED, Color.BLUE);
        TestImages.write(TestImages.rgb16(2, 2, 100, 30000, 65535), "png", folder.resolve("rgb16.png"));
        TestImages.pngHeaderClaiming(folder.resolve("bomb-60000x60000.png"), 60000, 60000);
        TestImages.truncated(folder.resolve("rgb.jpg"), folder.resolve("truncated.jpg"), 200);
    }
}
