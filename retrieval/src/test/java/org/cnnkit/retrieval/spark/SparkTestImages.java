package org.cnnkit.retrieval.spark;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.apache.spark.sql.SparkSession;
import org.cnnkit.retrieval.ExtractorSpec;
import org.junit.jupiter.api.Assumptions;

/** Generated images, the test extractor and the local Spark session of the Spark job's tests. */
final class SparkTestImages {

    private SparkTestImages() {
    }

    /** {@return the shared assets folder ({@code -Dcnnkit.assets})} */
    static Path assets() {
        return Path.of(System.getProperty("cnnkit.assets", "../shared/assets"));
    }

    /**
     * Returns MobileNetV2 0.35 with the shared weights at a small input size, or skips the test without them.
     *
     * @param imageSize the input size
     * @return the spec
     */
    static ExtractorSpec mobileNet(int imageSize) {
        Path weights = assets().resolve("mobilenet_v2/mobilenet_v2_0.35_224_no_top.weights.h5");
        Assumptions.assumeTrue(Files.isRegularFile(weights),
                "MobileNetV2 weights not found at " + weights + " (set -Dcnnkit.assets): skipping");
        return new ExtractorSpec(ExtractorSpec.Kind.MOBILENETV2, 0.35, java.util.Optional.empty(), imageSize)
                .withWeights(weights);
    }

    /**
     * Starts a local session with two cores; {@code maxFailures} 2 so that a task failing once is retried.
     *
     * @return the session
     */
    static SparkSession localSession() {
        return SparkSession.builder().master("local[2,2]").appName("cnnkit-test")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "4")
                .getOrCreate();
    }

    /**
     * Writes a PNG of a background with a coloured shape.
     *
     * @param file the file
     * @param seed picks the colours and the shape
     * @param size the width and height
     * @return the file
     */
    static Path drawPng(Path file, int seed, int size) {
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(new Color(Color.HSBtoRGB((seed * 0.137f) % 1f, 0.8f, 0.9f)));
        g.fillRect(0, 0, size, size);
        g.setColor(new Color(Color.HSBtoRGB((seed * 0.311f + 0.5f) % 1f, 0.6f, 0.5f)));
        int s = size / 4 + seed % (size / 2);
        if (seed % 2 == 0) {
            g.fillOval(seed % (size / 4), size / 8, s, s);
        } else {
            g.fillRect(size / 8, seed % (size / 4), s, s / 2 + 1);
        }
        g.dispose();
        try {
            Files.createDirectories(file.getParent());
            ImageIO.write(image, "png", file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /**
     * Writes the four kinds of unreadable file under a folder: {@code bad/empty.png} (zero bytes),
     * {@code bad/notes.jpg} (text), {@code bad/truncated.jpg} (a JPEG cut in half) and {@code bad/bomb.png} (a PNG
     * whose header claims 30000x30000 pixels).
     *
     * @param root the folder
     */
    static void writeUnreadable(Path root) throws IOException {
        Path bad = Files.createDirectories(root.resolve("bad"));
        Files.write(bad.resolve("empty.png"), new byte[0]);
        Files.writeString(bad.resolve("notes.jpg"), "these are not the pixels you are looking for\n");
        BufferedImage photo = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = photo.createGraphics();
        g.setPaint(new java.awt.GradientPaint(0, 0, Color.RED, 64, 64, Color.BLUE));
        g.fillRect(0, 0, 64, 64);
        g.dispose();
        ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
        ImageIO.write(photo, "jpg", jpeg);
        byte[] whole = jpeg.toByteArray();
        Files.write(bad.resolve("truncated.jpg"), java.util.Arrays.copyOf(whole, whole.length / 2));
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB), "png", png);
        byte[] bomb = png.toByteArray();
        ByteBuffer header = ByteBuffer.wrap(bomb);
        header.putInt(16, 30_000).putInt(20, 30_000); // IHDR width and height
        CRC32 crc = new CRC32();
        crc.update(bomb, 12, 17); // chunk type and data
        header.putInt(29, (int) crc.getValue());
        Files.write(bad.resolve("bomb.png"), bomb);
    }
}
