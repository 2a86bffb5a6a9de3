package org.cnnkit.zoo;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Fuzzes the model file reader ({@link ImageClassifier#load} over {@link ModelFile}) with Jazzer: any bytes either
 * load as a classifier or are refused with a {@link CnnkitException} naming the file.
 *
 * <p>The first input byte chooses how the rest is used: odd, the rest is the whole file; even, the rest is a
 * two-byte manifest length, the manifest text and the network entry, zipped with the network's true SHA-256
 * added to the manifest, so that mutations reach the manifest checks and the network deserialization instead of
 * stopping at the zip container or the checksum. Regression mode runs the committed inputs in
 * {@code ModelFileFuzzTestInputs/loadsOrRefusesWithAClearError} (a tiny valid model written by {@link #main} in
 * both modes, plus every input a fuzzing run found); {@code -Pfuzz} fuzzes it (docs/reliability.md).
 */
class ModelFileFuzzTest {

    private static final Path FILE = temporaryFile();

    @FuzzTest
    void loadsOrRefusesWithAClearError(byte[] input) throws IOException {
        if (input.length == 0) {
            return;
        }
        byte[] rest = Arrays.copyOfRange(input, 1, input.length);
        Files.write(FILE, (input[0] & 1) == 1 ? rest : zipped(rest));
        try {
            ImageClassifier classifier = ImageClassifier.load(FILE);
            assertThat(classifier.classNames()).isNotEmpty();
        } catch (CnnkitException e) {
            assertThat(e.getMessage()).contains(FILE.toString());
        }
    }

    /** A model file from a two-byte manifest length, the manifest and the network entry. */
    private static byte[] zipped(byte[] rest) throws IOException {
        ByteBuffer in = ByteBuffer.wrap(rest);
        int manifestLength = in.remaining() >= 2 ? Math.min(in.getShort() & 0xffff, in.remaining()) : 0;
        byte[] manifest = new byte[manifestLength];
        in.get(manifest);
        byte[] network = new byte[in.remaining()];
        in.get(network);
        String text = new String(manifest, StandardCharsets.ISO_8859_1)
                + "\nnetwork.sha256=" + ModelFile.sha256(network) + "\n";
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            zip.putNextEntry(new ZipEntry(ModelFile.MANIFEST_ENTRY));
            zip.write(text.getBytes(StandardCharsets.ISO_8859_1));
            zip.closeEntry();
            zip.putNextEntry(new ZipEntry(ModelFile.NETWORK_ENTRY));
            zip.write(network);
            zip.closeEntry();
        }
        return bytes.toByteArray();
    }

    private static Path temporaryFile() {
        try {
            Path file = Files.createTempFile("cnnkit-fuzz-model", ".cnnkit");
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A classifier of 2x2 gray images into two classes: one dense output layer, 10 parameters. */
    static ImageClassifier tinyClassifier() {
        ComputationGraph network = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .seed(1)
                .graphBuilder()
                .addInputs("input")
                .setInputTypes(InputType.convolutional(2, 2, 1))
                .addLayer("output", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2)
                        .activation(Activation.SOFTMAX).build(), "input")
                .setOutputs("output")
                .build());
        network.init();
        return ImageClassifier.builder()
                .setNetwork(network)
                .setClassNames(List.of("a", "b"))
                .setInputShape(new InputShape(2, 2, 1))
                .setPreprocessing(Preprocessing.RESCALE)
                .optProvenance(ModelProvenance.of("tiny", 1, Map.of(), "none"))
                .build();
    }

    /**
     * Writes the seed inputs: a tiny valid model as a whole file (first byte 1) and as manifest and network
     * entry (first byte 0).
     *
     * @param args the inputs folder ({@code src/test/resources/org/cnnkit/zoo/ModelFileFuzzTestInputs/
     *     loadsOrRefusesWithAClearError})
     */
    public static void main(String[] args) throws IOException {
        Path folder = Path.of(args[0]);
        Files.createDirectories(folder);
        Path file = Files.createTempFile("seed", ".cnnkit");
        tinyClassifier().save(file);
        byte[] whole = Files.readAllBytes(file);
        ByteArrayOutputStream parts = new ByteArrayOutputStream();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            String manifest = new String(zip.getInputStream(zip.getEntry(ModelFile.MANIFEST_ENTRY)).readAllBytes(),
                    StandardCharsets.ISO_8859_1).replaceAll("(?m)^network\\.sha256=.*\\R", "");
            byte[] manifestBytes = manifest.getBytes(StandardCharsets.ISO_8859_1);
            parts.write(0);
            parts.write(manifestBytes.length >> 8);
            parts.write(manifestBytes.length & 0xff);
            parts.write(manifestBytes);
            parts.write(zip.getInputStream(zip.getEntry(ModelFile.NETWORK_ENTRY)).readAllBytes());
        }
        Files.delete(file);
        ByteArrayOutputStream wholeInput = new ByteArrayOutputStream();
        wholeInput.write(1);
        wholeInput.write(whole);
        Files.write(folder.resolve("tiny-whole"), wholeInput.toByteArray());
        Files.write(folder.resolve("tiny-parts"), parts.toByteArray());
    }
}
