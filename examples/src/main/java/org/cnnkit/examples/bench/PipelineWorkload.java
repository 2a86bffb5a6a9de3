package org.cnnkit.examples.bench;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.cnnkit.core.data.ImageDataSetIterator;
import org.cnnkit.core.data.LabeledImage;
import org.cnnkit.core.image.Augmentation;
import org.cnnkit.core.image.InputShape;

/**
 * {@code pipeline-decode-augment-<size>}: the image pipeline alone (no network) with its default worker threads:
 * JPEG decode, resize to size x size, the notebook's augmentation, rescale and batching of 32, over generated
 * 320x240 photographs-like images in a temporary folder (the decoded-pixel cache off, so every image is decoded in
 * every epoch). One warm-up epoch, then the images per second of the next two epochs. No PyTorch counterpart.
 */
final class PipelineWorkload {

    private static final int IMAGES = 192;
    private static final int CLASSES = 3;

    private PipelineWorkload() {
    }

    static BenchResult run(String name, int size, String peer) {
        Path dir;
        try {
            dir = Files.createTempDirectory("cnnkit-bench-images");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary folder for the pipeline benchmark", e);
        }
        try {
            List<LabeledImage> images = writeImages(dir);
            try (ImageDataSetIterator it = ImageDataSetIterator.builder()
                    .setImages(images)
                    .setNumClasses(CLASSES)
                    .setInputShape(InputShape.rgb(size))
                    .optAugmentation(Augmentation.notebookDigits())
                    .optCacheDecoded(false)
                    .optBatchSize(32)
                    .build()) {
                int epochs = 2;
                double seconds = Timing.secondsPerStep(() -> {
                    while (it.hasNext()) {
                        it.next();
                    }
                    it.reset();
                }, 1, epochs);
                return new BenchResult(name, images.size() / seconds, "images/s", peer, PeakMemory.peakRssMib(),
                        Map.of("batch", 32));
            }
        } finally {
            deleteQuietly(dir);
        }
    }

    private static List<LabeledImage> writeImages(Path dir) {
        Random random = new Random(0);
        List<LabeledImage> images = new ArrayList<>();
        try {
            for (int c = 0; c < CLASSES; c++) {
                Files.createDirectories(dir.resolve("class" + c));
            }
            for (int i = 0; i < IMAGES; i++) {
                BufferedImage image = new BufferedImage(320, 240, BufferedImage.TYPE_INT_RGB);
                int r0 = random.nextInt(256);
                int g0 = random.nextInt(256);
                for (int y = 0; y < 240; y++) {
                    for (int x = 0; x < 320; x++) {
                        int r = (r0 + x) & 0xff;
                        int g = (g0 + y) & 0xff;
                        int b = (x * y / 64 + random.nextInt(32)) & 0xff;
                        image.setRGB(x, y, (r << 16) | (g << 8) | b);
                    }
                }
                Path file = dir.resolve("class" + (i % CLASSES)).resolve(i + ".jpg");
                if (!ImageIO.write(image, "jpg", file.toFile())) {
                    throw new IllegalStateException("no JPEG writer in this JVM");
                }
                images.add(new LabeledImage(file, i % CLASSES));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the pipeline benchmark's images to " + dir, e);
        }
        return images;
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary folder left behind is harmless
        }
    }
}
