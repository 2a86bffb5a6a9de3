package org.cnnkit.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.ImageDecoder;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.progress.Progress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MnistPngExporterTest {

    @TempDir
    Path dir;

    @Test
    void writesOneGrayscalePngPerDigitIntoItsClassFolderWithExactPixels() throws IOException {
        int rows = 3;
        int cols = 4;
        byte[] pixels = new byte[3 * rows * cols];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i * 21);
        }
        MnistDigits digits = MnistDigits.of(rows, cols, pixels, new int[] {2, 0, 2}).onlyClasses(List.of(2));
        List<Progress> progress = new ArrayList<>();

        MnistExportSummary summary = MnistPngExporter.builder()
                .setFolder(dir.resolve("out"))
                .optProgressListener(progress::add)
                .build()
                .export(digits);

        assertThat(summary.images()).isEqualTo(2);
        assertThat(summary.countsByClass()).containsExactly(entry(2, 2));
        Path second = dir.resolve("out/2/00002.png");
        assertThat(dir.resolve("out/2/00000.png")).isRegularFile();
        assertThat(second).isRegularFile();
        assertThat(dir.resolve("out/0")).doesNotExist();
        BufferedImage image = ImageIO.read(second.toFile());
        assertThat(image.getType()).isEqualTo(BufferedImage.TYPE_BYTE_GRAY);
        assertThat(image.getWidth()).isEqualTo(cols);
        assertThat(image.getHeight()).isEqualTo(rows);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int expected = ((2 * rows * cols + r * cols + c) * 21) & 0xFF;
                assertThat(image.getRaster().getSample(c, r, 0)).isEqualTo(expected);
            }
        }
        assertThat(progress.get(progress.size() - 1).done()).isEqualTo(2);
        assertThat(progress.get(progress.size() - 1).finished()).isTrue();
    }

    @Test
    void leavesNoTemporaryFilesAndReplacesEarlierExports() throws IOException {
        MnistDigits digits = MnistDigits.of(1, 1, new byte[] {10, 20}, new int[] {1, 1});
        MnistPngExporter exporter = MnistPngExporter.builder().setFolder(dir).build();
        Files.createDirectories(dir.resolve("1"));
        Files.write(dir.resolve("1/00000.png"), new byte[] {1, 2, 3});

        exporter.export(digits);

        try (Stream<Path> files = Files.list(dir.resolve("1"))) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("00000.png", "00001.png");
        }
        assertThat(ImageIO.read(dir.resolve("1/00000.png").toFile()).getRaster().getSample(0, 0, 0)).isEqualTo(10);
    }

    @Test
    void theExportedTreeIsAnImageFolderWhoseImagesDecodeToTheOriginalPixels() {
        byte[] pixels = new byte[4 * 28 * 28];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i * 13);
        }
        MnistDigits digits = MnistDigits.of(28, 28, pixels, new int[] {1, 0, 1, 1});
        MnistPngExporter.builder().setFolder(dir).build().export(digits);

        ImageFolder folder = ImageFolder.scan(dir);

        assertThat(folder.classNames()).containsExactly("0", "1");
        assertThat(folder.countsPerClass()).containsEntry("0", 1).containsEntry("1", 3);
        LabeledImage second = folder.images().stream()
                .filter(image -> image.path().getFileName().toString().equals("00001.png"))
                .findFirst().orElseThrow();
        assertThat(second.label()).isZero();
        float[] decoded = new ImageDecoder().decode(second.path(), new InputShape(28, 28, 1));
        for (int p = 0; p < 28 * 28; p++) {
            assertThat(decoded[p]).isEqualTo(digits.pixel(1, p / 28, p % 28));
        }
    }

    @Test
    void anOutputPathThatIsAFileIsReportedWithItsPath() throws IOException {
        Path file = Files.write(dir.resolve("taken"), new byte[] {1});
        MnistDigits digits = MnistDigits.of(1, 1, new byte[] {1}, new int[] {0});

        assertThatThrownBy(() -> MnistPngExporter.builder().setFolder(file).build().export(digits))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining(file.toString());
    }

    @Test
    void builderRequiresAFolder() {
        assertThatThrownBy(() -> MnistPngExporter.builder().build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("setFolder");
    }
}
