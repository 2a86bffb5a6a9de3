package org.cnnkit.zoo;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.cnnkit.core.image.Preprocessing;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Locates the shared test assets and turns a few real photos into network input. */
public final class TestAssets {

    private TestAssets() {
    }

    /** Returns the assets folder, skipping the calling test when it is absent. */
    public static Path assets() {
        String property = System.getProperty("cnnkit.assets", "../../shared/assets");
        Path dir = Path.of(property);
        assumeTrue(Files.isDirectory(dir), "cnnkit.assets not found at " + dir.toAbsolutePath() + ": skipping");
        return dir;
    }

    /** Returns an asset file, skipping the calling test when it is absent. */
    public static Path asset(String relative) {
        Path file = assets().resolve(relative);
        assumeTrue(Files.isRegularFile(file), "asset " + file + " not found: skipping");
        return file;
    }

    /** The alpha-0.35 MobileNetV2 weights-only file. */
    public static Path mobileNetWeights() {
        return asset("mobilenet_v2/mobilenet_v2_0.35_224_no_top.weights.h5");
    }

    /** The alpha-0.35 MobileNetV2 whole-model file. */
    public static Path mobileNetModel() {
        return asset("mobilenet_v2/mobilenet_v2_0.35_224_no_top.model.h5");
    }

    /**
     * Loads Corel-1K photos, resized to {@code size x size}, as an NCHW batch with MobileNetV2 preprocessing.
     *
     * @param files paths relative to {@code corel1k/}
     */
    public static INDArray corelBatch(int size, List<String> files) {
        INDArray batch = Nd4j.create(files.size(), 3, size, size);
        for (int i = 0; i < files.size(); i++) {
            float[] chw = rgbChw(asset("corel1k/" + files.get(i)), size);
            Preprocessing.MOBILENET_V2.applyInPlace(chw, 3);
            batch.get(NDArrayIndex.point(i)).assign(Nd4j.create(chw, new long[] {3, size, size}, 'c'));
        }
        return batch;
    }

    private static float[] rgbChw(Path file, int size) {
        try {
            BufferedImage source = ImageIO.read(file.toFile());
            BufferedImage resized = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = resized.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(source, 0, 0, size, size, null);
            g.dispose();
            float[] chw = new float[3 * size * size];
            int plane = size * size;
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    int rgb = resized.getRGB(x, y);
                    chw[y * size + x] = (rgb >> 16) & 0xff;
                    chw[plane + y * size + x] = (rgb >> 8) & 0xff;
                    chw[2 * plane + y * size + x] = rgb & 0xff;
                }
            }
            return chw;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
