package org.cnnkit.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.cnnkit.core.CnnkitException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MnistTest {

    @TempDir
    Path dir;

    @Test
    void readsRawIdxWithUnsignedPixelsAndLabels() throws IOException {
        Path images = IdxFiles.write(dir.resolve("images"), IdxFiles.images(Mnist.IMAGES_MAGIC, 3, 4, 5));
        Path labels = IdxFiles.write(dir.resolve("labels"), IdxFiles.labels(Mnist.LABELS_MAGIC, 2, 0, 200));

        MnistDigits digits = Mnist.read(images, labels);

        assertThat(digits.size()).isEqualTo(3);
        assertThat(digits.rows()).isEqualTo(4);
        assertThat(digits.cols()).isEqualTo(5);
        assertThat(digits.labels()).containsExactly(2, 0, 200);
        for (int i = 0; i < 3; i++) {
            for (int r = 0; r < 4; r++) {
                for (int c = 0; c < 5; c++) {
                    assertThat(digits.pixel(i, r, c)).isEqualTo(IdxFiles.pixelValue(i, r * 5 + c));
                }
            }
        }
    }

    @Test
    void readsGzipDetectedByMagicBytesWhateverTheFileName() throws IOException {
        byte[] rawImages = IdxFiles.images(Mnist.IMAGES_MAGIC, 40, 28, 28);
        Path images = IdxFiles.write(dir.resolve("images.idx"), IdxFiles.gzip(rawImages));
        Path labels = IdxFiles.write(dir.resolve("labels.bin"),
                IdxFiles.gzip(IdxFiles.labels(Mnist.LABELS_MAGIC, new int[40])));

        MnistDigits digits = Mnist.read(images, labels);

        assertThat(digits.size()).isEqualTo(40);
        // pixels above 127 come back unsigned: image 18, pixel 2 is (18 * 7 + 2) % 256 = 128
        assertThat(digits.pixel(39, 27, 27)).isEqualTo(IdxFiles.pixelValue(39, 783));
        assertThat(digits.pixel(18, 0, 2)).isEqualTo(128);
        assertThat(digits.image(1)).isEqualTo(Arrays.copyOfRange(rawImages, 16 + 784, 16 + 2 * 784));
    }

    @Test
    void refusesAnImageFileWithTheWrongMagicNumber() throws IOException {
        Path images = IdxFiles.write(dir.resolve("images"), IdxFiles.images(1234, 1, 2, 2));
        Path labels = IdxFiles.write(dir.resolve("labels"), IdxFiles.labels(Mnist.LABELS_MAGIC, 1));

        assertThatThrownBy(() -> Mnist.read(images, labels))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining(images.toString())
                .hasMessageContaining("1234")
                .hasMessageContaining("2051");
    }

    @Test
    void swappedFilesAreReportedAsSwapped() throws IOException {
        Path images = IdxFiles.write(dir.resolve("images"), IdxFiles.images(Mnist.IMAGES_MAGIC, 1, 2, 2));
        Path labels = IdxFiles.write(dir.resolve("labels"), IdxFiles.labels(Mnist.LABELS_MAGIC, 1));

        assertThatThrownBy(() -> Mnist.read(labels, images))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining(labels.toString())
                .hasMessageContaining("swapped");
    }

    @Test
    void refusesALabelFileWithTheWrongMagicNumber() throws IOException {
        Path images = IdxFiles.write(dir.resolve("images"), IdxFiles.images(Mnist.IMAGES_MAGIC, 1, 2, 2));
        Path labels = IdxFiles.write(dir.resolve("labels"), IdxFiles.labels(2050, 1));

        assertThatThrownBy(() -> Mnist.read(images, labels))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining(labels.toString())
                .hasMessageContaining("2049");
    }

    @Test
    void refusesATruncatedRawImageFileNamingIt() throws IOException {
        byte[] full = IdxFiles.images(Mnist.IMAGES_MAGIC, 5, 3, 3);
        Path images = IdxFiles.write(dir.resolve("images"), Arrays.copyOf(full, full.length - 4));
        Path labels = IdxFiles.write(dir.resolve("labels"), IdxFiles.labels(Mnist.LABELS_MAGIC, 0, 1, 2, 3, 4));

        assertThatThrownBy(() -> Mnist.read(images, labels))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining(images.toString())
                .hasMessageContaining("truncated");
    }

    @Test
    void refusesAFileThatEndsInsideItsHeader() throws IOException {
        Path images = IdxFiles.write(dir.resolve("images"), IdxFiles.images(Mnist.IMAGES_MAGIC, 1, 2, 2));
        Path labels = IdxFiles.write(dir.resolve("labels"),
                Arrays.copyOf(IdxFiles.labels(Mnist.LABELS_MAGIC, 1), 6));

        assertThatThrownBy(() -> Mnist.read(images, labels))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining(labels.toString())
                .hasMessageContaining("truncated");
    }

    @Test
    void refusesATruncatedGzipFileNamingIt() throws IOException {
        byte[] gz = IdxFiles.gzip(IdxFiles.images(Mnist.IMAGES_MAGIC, 50, 28, 28));
        Path images = IdxFiles.write(dir.resolve("images.gz"), Arrays.copyOf(gz, gz.length / 2));
        Path labels = IdxFiles.write(dir.resolve("labels"), IdxFiles.labels(Mnist.LABELS_MAGIC, new int[50]));

        assertThatThrownBy(() -> Mnist.read(images, labels))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining(images.toString())
                .hasMessageContaining("truncated");
    }

    @Test
    void refusesTrailingBytesAfterTheDeclaredData() throws IOException {
        byte[] full = IdxFiles.labels(Mnist.LABELS_MAGIC, 1, 2);
        Path images = IdxFiles.write(dir.resolve("images"), IdxFiles.images(Mnist.IMAGES_MAGIC, 2, 2, 2));
        Path labels = IdxFiles.write(dir.resolve("labels"), Arrays.copyOf(full, full.length + 1));

        assertThatThrownBy(() -> Mnist.read(images, labels))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining(labels.toString())
                .hasMessageContaining("unexpected bytes");
    }

    @Test
    void refusesImageAndLabelCountsThatDisagree() throws IOException {
        Path images = IdxFiles.write(dir.resolve("images"), IdxFiles.images(Mnist.IMAGES_MAGIC, 3, 2, 2));
        Path labels = IdxFiles.write(dir.resolve("labels"), IdxFiles.labels(Mnist.LABELS_MAGIC, 1, 2));

        assertThatThrownBy(() -> Mnist.read(images, labels))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining("3 images")
                .hasMessageContaining("2 labels");
    }

    @Test
    void missingFileIsNamed() throws IOException {
        Path labels = IdxFiles.write(dir.resolve("labels"), IdxFiles.labels(Mnist.LABELS_MAGIC, 1));
        Path missing = dir.resolve("nope.gz");

        assertThatThrownBy(() -> Mnist.read(missing, labels))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining("not found")
                .hasMessageContaining(missing.toString());
    }

    @Test
    void readsTheRealMnistTestSet() {
        Path mnist = Path.of(System.getProperty("cnnkit.assets", "../shared/assets")).resolve("mnist");
        Assumptions.assumeTrue(Files.isDirectory(mnist), "cnnkit.assets not found at " + mnist + ": skipping");

        MnistDigits all = Mnist.read(mnist.resolve("t10k-images-idx3-ubyte.gz"),
                mnist.resolve("t10k-labels-idx1-ubyte.gz"));
        MnistDigits digits = all.onlyClasses(List.of(0, 1, 2));

        assertThat(all.size()).isEqualTo(10_000);
        assertThat(all.rows()).isEqualTo(28);
        assertThat(all.cols()).isEqualTo(28);
        assertThat(all.classes()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(digits.countsByClass()).containsExactly(
                org.assertj.core.api.Assertions.entry(0, 980),
                org.assertj.core.api.Assertions.entry(1, 1135),
                org.assertj.core.api.Assertions.entry(2, 1032));
        // The first test digit is a 7; its centre has ink and its corner none.
        assertThat(all.label(0)).isEqualTo(7);
        assertThat(all.pixel(0, 0, 0)).isZero();
        int ink = 0;
        for (byte b : all.image(0)) {
            ink = Math.max(ink, b & 0xFF);
        }
        assertThat(ink).isGreaterThan(200);
    }
}
