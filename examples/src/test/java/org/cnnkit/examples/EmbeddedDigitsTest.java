package org.cnnkit.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.cnnkit.core.data.ImageFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedDigitsTest {

    @Test
    void holds150DigitsOfEachOfTheClasses012() {
        EmbeddedDigits digits = EmbeddedDigits.load();

        assertThat(digits.size()).isEqualTo(450);
        assertThat(digits.classes()).containsExactly("0", "1", "2");
        assertThat(digits.countsByClass()).containsExactly(entry("0", 150), entry("1", 150), entry("2", 150));
    }

    @Test
    void extractsAClassPerFolderTreeOfReal28x28GrayscaleDigits(@TempDir Path dir) throws IOException {
        EmbeddedDigits digits = EmbeddedDigits.load();

        Path root = digits.extractTo(dir.resolve("digits"));

        Map<String, Double> meanInk = new HashMap<>();
        try (Stream<Path> classFolders = Files.list(root)) {
            assertThat(classFolders.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("0", "1", "2");
        }
        for (String file : digits.files()) {
            BufferedImage image = ImageIO.read(root.resolve(file).toFile());
            assertThat(image).as(file).isNotNull();
            assertThat(image.getType()).isEqualTo(BufferedImage.TYPE_BYTE_GRAY);
            assertThat(image.getWidth()).isEqualTo(28);
            assertThat(image.getHeight()).isEqualTo(28);
            int ink = 0;
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    ink += image.getRaster().getSample(x, y, 0);
                }
            }
            assertThat(image.getRaster().getSample(0, 0, 0)).as("background of %s", file).isZero();
            meanInk.merge(file.substring(0, 1), ink / 150.0, Double::sum);
        }
        // Real handwriting: a one is a single stroke and uses far less ink than a zero or a two.
        assertThat(meanInk.get("1")).isLessThan(meanInk.get("0") * 0.7).isLessThan(meanInk.get("2") * 0.7);
        ImageFolder folder = ImageFolder.scan(root);
        assertThat(folder.classNames()).containsExactly("0", "1", "2");
        assertThat(folder.images()).hasSize(450);
        try (Stream<Path> all = Files.walk(root)) {
            assertThat(all.filter(Files::isRegularFile).count()).isEqualTo(450); // no temporary files left
        }
    }
}
