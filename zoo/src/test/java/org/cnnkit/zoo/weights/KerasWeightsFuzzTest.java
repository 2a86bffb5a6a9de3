package org.cnnkit.zoo.weights;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.cnnkit.core.CnnkitException;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Fuzzes the Keras HDF5 weights reader ({@link KerasWeights} over jHDF) with Jazzer: any bytes either open as a
 * weights file whose every listed weight reads with its declared shape, or are refused with a
 * {@link CnnkitException} naming the file.
 *
 * <p>Regression mode runs the committed inputs in {@code KerasWeightsFuzzTestInputs/readsOrRefusesWithAClearError}
 * (small valid weights files written by {@link #main}, plus every input a fuzzing run found); {@code -Pfuzz}
 * fuzzes it (docs/reliability.md).
 */
class KerasWeightsFuzzTest {

    private static final Path FILE = temporaryFile();

    @FuzzTest
    void readsOrRefusesWithAClearError(byte[] bytes) throws IOException {
        Files.write(FILE, bytes);
        try (KerasWeights weights = KerasWeights.open(FILE)) {
            for (String layer : weights.layerNames()) {
                Set<String> read = new HashSet<>();
                for (KerasWeightSpec spec : weights.weightsOf(layer)) {
                    if (read.add(spec.name())) { // read gives the first weight of a short name
                        INDArray values = weights.read(layer, spec.name());
                        assertThat(values.length()).isEqualTo(Arrays.stream(spec.shape()).reduce(1, (a, b) -> a * b));
                    }
                }
            }
        } catch (CnnkitException e) {
            assertThat(e.getMessage()).contains(FILE.toString());
        }
    }

    private static Path temporaryFile() {
        try {
            Path file = Files.createTempFile("cnnkit-fuzz-weights", ".h5");
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes the seed inputs: small Keras 2 weights files (a convolution, a batch normalization and a dense layer).
     *
     * @param args the inputs folder ({@code src/test/resources/org/cnnkit/zoo/weights/KerasWeightsFuzzTestInputs/
     *     readsOrRefusesWithAClearError})
     */
    public static void main(String[] args) throws IOException {
        Path folder = Files.createDirectories(Path.of(args[0]));
        new KerasH5Writer()
                .layer("dense", Map.of("kernel", new float[][] {{1, 2}, {3, 4}, {5, 6}}, "bias", new float[] {7, 8}))
                .write(folder.resolve("dense.h5"));
        new KerasH5Writer()
                .layer("Conv1", Map.of("kernel", new float[][][][] {{{{1, 2}}}}))
                .layer("bn_Conv1", Map.of("gamma", new float[] {1, 1}, "beta", new float[] {0, 0},
                        "moving_mean", new float[] {0.5f, 0.5f}, "moving_variance", new float[] {2, 2}))
                .write(folder.resolve("conv-bn.h5"));
    }
}
