package org.cnnkit.core.data;

import java.awt.image.BufferedImage;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import javax.imageio.ImageIO;
import org.cnnkit.core.image.Augmentation;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;

/**
 * Prints the pipeline's throughput on real images (not a test: run by hand).
 * Corel-1K JPEGs (384x256) and 1,000 MNIST digits written as 28x28 gray PNGs, each to 100x100 and 224x224 RGB.
 *
 * <pre>java -cp core/target/classes:core/target/test-classes:$(cat cp.txt) \
 *     org.cnnkit.core.data.PipelineThroughputMain ../shared/assets [workers]</pre>
 */
public final class PipelineThroughputMain {

    private PipelineThroughputMain() {
    }

    public static void main(String[] args) throws IOException {
        Path assets = Path.of(args.length > 0 ? args[0] : "../shared/assets");
        int workers = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
        ImageFolder corel = ImageFolder.scan(assets.resolve("corel1k"));
        List<LabeledImage> digits = writeDigits(assets.resolve("mnist/t10k-images-idx3-ubyte.gz"), 1000);
        for (String name : List.of("corel1k-jpeg", "mnist-png")) {
            List<LabeledImage> images = name.startsWith("corel") ? corel.images() : digits;
            for (int size : new int[] {100, 224}) {
                InputShape shape = InputShape.rgb(size);
                // warm-up (JIT, ND4J), not reported
                PipelineThroughput.decoding(images.subList(0, 200), shape, Augmentation.notebookDigits(),
                        Preprocessing.RESCALE, workers, 32, 1);
                report(name, size, "decode+augment+preprocess", PipelineThroughput.decoding(images, shape,
                        Augmentation.notebookDigits(), Preprocessing.RESCALE, workers, 32, 2));
                report(name, size, "decode+preprocess", PipelineThroughput.decoding(images, shape,
                        Augmentation.none(), Preprocessing.RESCALE, workers, 32, 2));
                report(name, size, "cached: augment+preprocess", PipelineThroughput.cached(images, shape,
                        Augmentation.notebookDigits(), Preprocessing.RESCALE, workers, 32, 3));
            }
        }
    }

    private static void report(String data, int size, String what, PipelineThroughput.Measurement m) {
        System.out.printf(Locale.ROOT,
                "%-13s %3dx%-3d %-27s %7.1f images/s wall, %7.1f images per CPU-second (%d images, %.2f s, CPU %.2f s)%n",
                data, size, size, what, m.imagesPerSecond(), m.imagesPerCpuSecond(), m.images(),
                m.elapsed().toNanos() / 1e9, m.cpuTime().toNanos() / 1e9);
    }

    /** Writes the first {@code count} MNIST test digits as 28x28 gray PNGs into a temp folder. */
    private static List<LabeledImage> writeDigits(Path idx, int count) throws IOException {
        Path dir = Files.createTempDirectory("cnnkit-digits");
        List<LabeledImage> images = new ArrayList<>();
        try (InputStream raw = Files.newInputStream(idx);
                DataInputStream in = new DataInputStream(new GZIPInputStream(raw))) {
            if (in.readInt() != 2051) {
                throw new IOException("not an IDX image file: " + idx);
            }
            int n = in.readInt();
            int rows = in.readInt();
            int cols = in.readInt();
            byte[] pixels = new byte[rows * cols];
            for (int i = 0; i < Math.min(n, count); i++) {
                in.readFully(pixels);
                BufferedImage image = new BufferedImage(cols, rows,
                        BufferedImage.TYPE_BYTE_GRAY);
                image.getRaster().setDataElements(0, 0, cols, rows, pixels);
                Path file = dir.resolve(i + ".png");
                ImageIO.write(image, "png", file.toFile());
                images.add(new LabeledImage(file, 0));
            }
        }
        return images;
    }
}
