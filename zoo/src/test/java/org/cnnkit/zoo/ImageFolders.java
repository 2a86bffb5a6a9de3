package org.cnnkit.zoo;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;

/** Writes small generated class-per-folder PNG trees for tests: "left", "right" and "top" bright halves. */
final class ImageFolders {

    static final List<String> CLASSES = List.of("left", "right", "top");

    private ImageFolders() {
    }

    /** Writes {@code perClass} PNGs of {@code size x size} into one sub-folder per class under {@code root}. */
    static Path write(Path root, int perClass, int size, long seed) {
        Random random = new Random(seed);
        try {
            for (int c = 0; c < CLASSES.size(); c++) {
                Path folder = Files.createDirectories(root.resolve(CLASSES.get(c)));
                for (int i = 0; i < perClass; i++) {
                    ImageIO.write(image(c, size, random), "png", folder.resolve(String.format("%03d.png", i)).toFile());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return root;
    }

    /** Returns one gray image of class {@code cls}: a bright half (left, right or top) on a dark ground, noisy. */
    static BufferedImage image(int cls, int size, Random random) {
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                boolean bright = switch (cls) {
                    case 0 -> x < size / 2;
                    case 1 -> x >= size / 2;
                    default -> y < size / 2;
                };
                int value = (bright ? 170 : 20) + random.nextInt(70);
                image.getRaster().setSample(x, y, 0, value);
            }
        }
        return image;
    }
}
