package org.cnnkit.retrieval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeatureIndexFileTest {

    @TempDir
    Path dir;

    private static final ExtractorIdentity IDENTITY = new ExtractorIdentity("test/features", "0123456789abcdef",
            InputShape.rgb(32), Preprocessing.MOBILENET_V2, 16);

    private FeatureIndex sampleIndex(List<VectorTransform> transforms, Metric metric) {
        Random random = new Random(11);
        float[][] data = FeatureIndexTest.randomVectors(random, 120, 16);
        FeatureIndex index = FeatureIndex.builder().optExtractor(IDENTITY).optMetric(metric).optTransforms(transforms).build();
        List<String> ids = IntStream.range(0, data.length).mapToObj(i -> "photos/é" + i + ".jpg").toList();
        List<String> stamps = IntStream.range(0, data.length).mapToObj(i -> i % 2 == 0 ? "size=" + i : null).toList();
        index.addAll(ids, data, stamps);
        index.fit();
        index.setProperty("extractor.weights", "/models/wéights.h5");
        return index;
    }

    @Test
    void saveAndOpenGiveTheSameIndexAndAnswers() {
        for (List<VectorTransform> transforms : List.of(List.<VectorTransform>of(),
                List.of(VectorTransform.center(), VectorTransform.l2Normalize()),
                List.of(VectorTransform.pcaWhitened(5), VectorTransform.l2Normalize()),
                SearchSettings.defaults().transforms())) {
            for (Metric metric : Metric.values()) {
                FeatureIndex index = sampleIndex(transforms, metric);
                Path file = dir.resolve("index-" + metric + transforms.size() + ".cfi");
                index.save(file);
                FeatureIndex opened = FeatureIndex.open(file);
                assertThat(opened.size()).isEqualTo(index.size());
                assertThat(opened.metric()).isEqualTo(metric);
                assertThat(opened.transforms()).isEqualTo(transforms);
                assertThat(opened.identity()).contains(IDENTITY);
                assertThat(opened.ids()).isEqualTo(index.ids());
                assertThat(opened.properties()).containsExactly(java.util.Map.entry("extractor.weights", "/models/wéights.h5"));
                assertThat(opened.stamp("photos/é2.jpg")).contains("size=2");
                assertThat(opened.stamp("photos/é3.jpg")).isEmpty();
                assertThat(opened.vector("photos/é7.jpg").orElseThrow()).containsExactly(index.vector("photos/é7.jpg").orElseThrow());
                float[][] queries = FeatureIndexTest.randomVectors(new Random(12), 6, 16);
                assertThat(opened.search(queries, 5)).isEqualTo(index.search(queries, 5));
            }
        }
    }

    @Test
    void anUnfittedIndexRoundTripsAndFitsOnFirstSearch() {
        FeatureIndex index = FeatureIndex.builder().setDimension(16).addTransform(VectorTransform.pca(4)).build();
        index.addAll(List.of("a", "b", "c"), FeatureIndexTest.randomVectors(new Random(1), 3, 16), null);
        Path file = dir.resolve("unfitted.cfi");
        index.save(file);
        FeatureIndex opened = FeatureIndex.open(file);
        assertThat(opened.isFitted()).isFalse();
        assertThat(opened.search(opened.vector("b").orElseThrow(), 1).get(0).id()).isEqualTo("b");
    }

    private Path savedSample() {
        Path file = dir.resolve("sample.cfi");
        sampleIndex(List.of(VectorTransform.center()), Metric.EUCLIDEAN).save(file);
        return file;
    }

    @Test
    void truncatedFilesAreRefused() throws IOException {
        byte[] bytes = Files.readAllBytes(savedSample());
        for (int length : new int[] {0, 5, 12, 30, bytes.length / 2, bytes.length - 25, bytes.length - 1}) {
            Path cut = dir.resolve("cut-" + length + ".cfi");
            Files.write(cut, java.util.Arrays.copyOf(bytes, length));
            assertThatThrownBy(() -> FeatureIndex.open(cut)).as("cut at %d", length)
                    .isInstanceOf(IndexFileException.class)
                    .hasMessageContaining(cut.toAbsolutePath().toString())
                    .hasMessageMatching("(?s).*(truncated|too short).*");
        }
    }

    @Test
    void everyFlippedByteIsDetected() throws IOException {
        byte[] bytes = Files.readAllBytes(savedSample());
        Random random = new Random(13);
        int[] positions = IntStream.concat(IntStream.of(8, 12, 13, 20, 40, bytes.length - 30, bytes.length - 9),
                random.ints(40, 12, bytes.length - 24)).toArray();
        for (int position : positions) {
            byte[] damaged = bytes.clone();
            damaged[position] ^= (byte) (1 << random.nextInt(8));
            Path file = dir.resolve("flip.cfi");
            Files.write(file, damaged);
            assertThatThrownBy(() -> FeatureIndex.open(file)).as("byte %d flipped", position)
                    .isInstanceOf(IndexFileException.class)
                    .hasMessageContaining(file.toAbsolutePath().toString());
        }
        byte[] damaged = bytes.clone();
        damaged[bytes.length / 2] ^= 0x10;
        Path file = dir.resolve("flip-middle.cfi");
        Files.write(file, damaged);
        assertThatThrownBy(() -> FeatureIndex.open(file)).hasMessageContaining("checksum mismatch");
    }

    @Test
    void newerVersionWrongMagicAndMissingFilesAreRefused() throws IOException {
        byte[] bytes = Files.readAllBytes(savedSample());
        byte[] newer = bytes.clone();
        ByteBuffer.wrap(newer).putInt(8, IndexFormat.VERSION + 1);
        Path newerFile = dir.resolve("newer.cfi");
        Files.write(newerFile, newer);
        assertThatThrownBy(() -> FeatureIndex.open(newerFile)).isInstanceOf(IndexFileException.class)
                .hasMessageContaining("format version 2").hasMessageContaining("newer");

        byte[] png = bytes.clone();
        System.arraycopy(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, 0, png, 0, 4);
        Path pngFile = dir.resolve("picture.cfi");
        Files.write(pngFile, png);
        assertThatThrownBy(() -> FeatureIndex.open(pngFile)).isInstanceOf(IndexFileException.class)
                .hasMessageContaining("not a cnnkit feature index");

        Path missing = dir.resolve("missing.cfi");
        assertThatThrownBy(() -> FeatureIndex.open(missing)).isInstanceOf(IndexFileException.class)
                .hasMessageContaining("no such file").hasMessageContaining("missing.cfi");
    }

    /** Passes bytes through until a limit, then fails as a full disk would. */
    private static final class FailingStream extends FilterOutputStream {
        private long remaining;

        FailingStream(OutputStream out, long limit) {
            super(out);
            this.remaining = limit;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (len > remaining) {
                out.write(b, off, (int) remaining);
                remaining = 0;
                throw new IOException("No space left on device (simulated)");
            }
            remaining -= len;
            out.write(b, off, len);
        }
    }

    @Test
    void aFailureDuringSaveLeavesThePreviousFileIntact() throws IOException {
        Path file = savedSample();
        byte[] before = Files.readAllBytes(file);
        FeatureIndex bigger = sampleIndex(List.of(), Metric.COSINE);
        float[] extra = new float[16];
        extra[0] = 1f;
        bigger.add("one-more", extra);
        Path elsewhere = dir.resolve("elsewhere").resolve("bigger.cfi");
        bigger.save(elsewhere);
        long newLength = Files.size(elsewhere);
        Files.delete(elsewhere);
        Files.delete(elsewhere.getParent());
        for (long limit : new long[] {0, 10, 3000, newLength - 30, newLength - 1}) {
            assertThatThrownBy(() -> bigger.save(file, out -> new FailingStream(out, limit)))
                    .isInstanceOf(IndexFileException.class)
                    .hasMessageContaining(file.toAbsolutePath().toString())
                    .hasMessageContaining("No space left")
                    .hasMessageContaining("unchanged");
            assertThat(Files.readAllBytes(file)).isEqualTo(before);
        }
        try (var listing = Files.list(dir)) {
            assertThat(listing.map(p -> p.getFileName().toString())).containsExactly("sample.cfi");
        }
        assertThat(FeatureIndex.open(file).size()).isEqualTo(120);
    }
}
