package org.cnnkit.retrieval;

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
import java.util.Random;
import java.util.stream.IntStream;
import java.util.zip.CRC32C;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;

/**
 * Fuzzes the feature index reader ({@link FeatureIndex#open} over {@link IndexFormat}) with Jazzer: any bytes either
 * open as an index that answers a search, or are refused with an {@link IndexFileException} naming the file.
 *
 * <p>The first input byte chooses how the rest is used: odd, the rest is the whole file; even, the rest is the
 * body, framed with a valid header and a trailer carrying its true length and checksum, so that mutations reach the
 * body parser instead of stopping at the checksum. Regression mode runs the committed inputs in
 * {@code FeatureIndexFuzzTestInputs/opensOrRefusesWithAClearError} (small valid indexes written by {@link #main}
 * in both modes, plus every input a fuzzing run found); {@code -Pfuzz} fuzzes it (docs/reliability.md).
 */
class FeatureIndexFuzzTest {

    private static final int HEADER_BYTES = 12;
    private static final int TRAILER_BYTES = 24;
    private static final Path FILE = temporaryFile();

    @FuzzTest
    void opensOrRefusesWithAClearError(byte[] input) throws IOException {
        if (input.length == 0) {
            return;
        }
        byte[] bytes = Arrays.copyOfRange(input, 1, input.length);
        Files.write(FILE, (input[0] & 1) == 1 ? bytes : framed(bytes));
        FeatureIndex index;
        try {
            index = FeatureIndex.open(FILE);
        } catch (IndexFileException e) {
            assertThat(e.getMessage()).contains(FILE.toString());
            return;
        }
        if (index.size() > 0) {
            float[] query = index.vector(index.ids().get(0)).orElseThrow();
            if (isFinite(query)) {
                assertThat(index.search(query, 3)).isNotEmpty();
            }
        }
    }

    private static boolean isFinite(float[] values) {
        for (float v : values) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    /** A file with the given body and a correct header and trailer (format version 1). */
    static byte[] framed(byte[] body) {
        ByteBuffer file = ByteBuffer.allocate(HEADER_BYTES + body.length + TRAILER_BYTES);
        file.put("CNNKITFI".getBytes(StandardCharsets.US_ASCII)).putInt(IndexFormat.VERSION).put(body);
        CRC32C crc = new CRC32C();
        crc.update(file.array(), 0, HEADER_BYTES + body.length);
        file.put("CNKITEND".getBytes(StandardCharsets.US_ASCII)).putLong(body.length).putLong(crc.getValue());
        return file.array();
    }

    private static Path temporaryFile() {
        try {
            Path file = Files.createTempFile("cnnkit-fuzz-index", ".cfi");
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes the seed inputs: small indexes with and without extractor identity, stamps, properties and fitted
     * transforms, each as a whole file (first byte 1) and as a body to frame (first byte 0).
     *
     * @param args the inputs folder ({@code src/test/resources/org/cnnkit/retrieval/FeatureIndexFuzzTestInputs/
     *     opensOrRefusesWithAClearError})
     */
    public static void main(String[] args) throws IOException {
        Path folder = Path.of(args[0]);
        Files.createDirectories(folder);
        seed(folder, "empty", FeatureIndex.builder().setDimension(3).build());
        FeatureIndex plain = FeatureIndex.builder().setDimension(4).optMetric(Metric.EUCLIDEAN).build();
        plain.add("a.jpg", new float[] {1, 2, 3, 4});
        plain.add("b.jpg", new float[] {0, -1, 0.5f, 2}, "size=10");
        seed(folder, "plain", plain);
        Random random = new Random(5);
        FeatureIndex fitted = FeatureIndex.builder()
                .optExtractor(new ExtractorIdentity("test/features", "0123abcd", InputShape.rgb(8),
                        Preprocessing.MOBILENET_V2, 6))
                .optMetric(Metric.COSINE)
                .optTransforms(List.of(VectorTransform.center(), VectorTransform.pcaWhitened(3),
                        VectorTransform.l2Normalize()))
                .build();
        List<String> ids = IntStream.range(0, 8).mapToObj(i -> "photos/é" + i + ".jpg").toList();
        float[][] vectors = new float[8][6];
        for (float[] v : vectors) {
            for (int j = 0; j < v.length; j++) {
                v[j] = (float) random.nextGaussian();
            }
        }
        fitted.addAll(ids, vectors, ids.stream().map(id -> id.length() % 2 == 0 ? "s" : null).toList());
        fitted.fit();
        fitted.setProperty("extractor.weights", "/models/w.h5");
        seed(folder, "fitted", fitted);
    }

    private static void seed(Path folder, String name, FeatureIndex index) throws IOException {
        Path file = Files.createTempFile("seed", ".cfi");
        index.save(file);
        byte[] whole = Files.readAllBytes(file);
        Files.delete(file);
        Files.write(folder.resolve(name + "-whole"), prefixed((byte) 1, whole));
        byte[] body = Arrays.copyOfRange(whole, HEADER_BYTES, whole.length - TRAILER_BYTES);
        Files.write(folder.resolve(name + "-body"), prefixed((byte) 0, body));
    }

    private static byte[] prefixed(byte first, byte[] rest) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(first);
        out.writeBytes(rest);
        return out.toByteArray();
    }
}
