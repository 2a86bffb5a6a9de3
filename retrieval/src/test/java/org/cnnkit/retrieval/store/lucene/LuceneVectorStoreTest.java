package org.cnnkit.retrieval.store.lucene;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.retrieval.ExtractorIdentity;
import org.cnnkit.retrieval.Match;
import org.cnnkit.retrieval.Metric;
import org.cnnkit.retrieval.VectorTransform;
import org.cnnkit.retrieval.store.StoreBatch;
import org.cnnkit.retrieval.store.StoreOptions;
import org.cnnkit.retrieval.store.StoreSchema;
import org.cnnkit.retrieval.store.StoreSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LuceneVectorStoreTest {

    private static final ExtractorIdentity IDENTITY = new ExtractorIdentity("test/features", "0123456789abcdef",
            InputShape.rgb(16), Preprocessing.RESCALE, 8);

    @TempDir
    Path dir;

    private LuceneVectorStore open(StoreSchema schema, String... parameters) {
        StoreOptions.Builder options = StoreOptions.builder().optSchemaForNewStore(schema);
        for (int i = 0; i < parameters.length; i += 2) {
            options.addParameter(parameters[i], parameters[i + 1]);
        }
        return LuceneVectorStore.open(new StoreSpec(StoreSpec.Kind.LUCENE, dir.resolve("store").toString()),
                options.build());
    }

    private static StoreSchema schema(int dimension, Metric metric, VectorTransform... steps) {
        return new StoreSchema(dimension, metric, List.of(steps), Optional.empty(), Map.of());
    }

    private static float[][] gaussian(int n, int d, long seed) {
        Random random = new Random(seed);
        float[][] v = new float[n][d];
        for (float[] row : v) {
            for (int j = 0; j < d; j++) {
                row[j] = (float) random.nextGaussian();
            }
        }
        return v;
    }

    private static StoreBatch puts(float[][] vectors, String prefix) {
        StoreBatch.Builder batch = StoreBatch.builder();
        for (int i = 0; i < vectors.length; i++) {
            batch.addPut(prefix + i, vectors[i], "stamp-" + i);
        }
        return batch.build();
    }

    private static List<Match> exact(float[][] stored, String prefix, float[] q, int k, Metric metric) {
        List<Match> all = new ArrayList<>();
        for (int i = 0; i < stored.length; i++) {
            double dist;
            if (metric == Metric.EUCLIDEAN) {
                double s = 0;
                for (int j = 0; j < q.length; j++) {
                    s += (q[j] - stored[i][j]) * (double) (q[j] - stored[i][j]);
                }
                dist = Math.sqrt(s);
            } else {
                double dot = 0;
                double nq = 0;
                double nx = 0;
                for (int j = 0; j < q.length; j++) {
                    dot += q[j] * (double) stored[i][j];
                    nq += q[j] * (double) q[j];
                    nx += stored[i][j] * (double) stored[i][j];
                }
                dist = 1 - dot / Math.sqrt(nq * nx);
            }
            all.add(new Match(prefix + i, (float) dist));
        }
        all.sort((a, b) -> Float.compare(a.distance(), b.distance()));
        return all.subList(0, k);
    }

    @Test
    void searchReturnsTheTrueEuclideanDistancesOfTheNearestVectors() {
        float[][] vectors = gaussian(200, 8, 1);
        try (LuceneVectorStore store = open(schema(8, Metric.EUCLIDEAN), "ef", "200")) {
            store.write(puts(vectors, "v"));
            float[] q = gaussian(1, 8, 2)[0];
            List<Match> found = store.search(new float[][] {q}, 5).get(0);
            List<Match> expected = exact(vectors, "v", q, 5, Metric.EUCLIDEAN);
            assertThat(found).extracting(Match::id).containsExactlyElementsOf(
                    expected.stream().map(Match::id).toList());
            for (int i = 0; i < 5; i++) {
                assertThat(found.get(i).distance()).isCloseTo(expected.get(i).distance(),
                        org.assertj.core.data.Offset.offset(1e-4f));
            }
        }
    }

    @Test
    void cosineDistancesAreOneMinusTheCosine() {
        float[][] vectors = gaussian(200, 8, 3);
        try (LuceneVectorStore store = open(schema(8, Metric.COSINE), "ef", "200")) {
            store.write(puts(vectors, "v"));
            float[] q = gaussian(1, 8, 4)[0];
            List<Match> found = store.search(new float[][] {q}, 5).get(0);
            List<Match> expected = exact(vectors, "v", q, 5, Metric.COSINE);
            assertThat(found).extracting(Match::id).containsExactlyElementsOf(
                    expected.stream().map(Match::id).toList());
            for (int i = 0; i < 5; i++) {
                assertThat(found.get(i).distance()).isCloseTo(expected.get(i).distance(),
                        org.assertj.core.data.Offset.offset(1e-5f));
            }
        }
    }

    @Test
    void putReplacesAnEntryAndRemoveDeletesIt() {
        try (LuceneVectorStore store = open(schema(2, Metric.EUCLIDEAN))) {
            store.write(StoreBatch.builder().addPut("a", new float[] {0, 0}, "1").addPut("b", new float[] {5, 5}, null)
                    .build());
            store.write(StoreBatch.builder().addPut("a", new float[] {10, 10}, "2").addRemove("b").build());
            assertThat(store.size()).isEqualTo(1);
            assertThat(store.contains("b")).isFalse();
            assertThat(store.stamp("a")).contains("2");
            assertThat(store.search(new float[][] {{10, 10}}, 3).get(0))
                    .containsExactly(new Match("a", 0f));
        }
    }

    @Test
    void reopeningKeepsEntriesStampsSchemaAndFittedPipeline() {
        float[][] vectors = gaussian(50, 8, 5);
        StoreSchema schema = new StoreSchema(8, Metric.EUCLIDEAN, List.of(VectorTransform.pca(4)),
                Optional.of(IDENTITY), Map.of("root", "/photos"));
        List<Match> before;
        float[] q = gaussian(1, 8, 6)[0];
        try (LuceneVectorStore store = open(schema)) {
            store.write(puts(vectors, "v"));
            before = store.search(new float[][] {q}, 3).get(0);
        }
        try (LuceneVectorStore store = LuceneVectorStore.open(
                new StoreSpec(StoreSpec.Kind.LUCENE, dir.resolve("store").toString()), StoreOptions.openExisting())) {
            assertThat(store.schema()).isEqualTo(schema);
            assertThat(store.pipeline()).isPresent();
            assertThat(store.pipeline().get().outputDimension()).isEqualTo(4);
            assertThat(store.size()).isEqualTo(50);
            assertThat(store.stamp("v7")).contains("stamp-7");
            assertThat(store.search(new float[][] {q}, 3).get(0)).isEqualTo(before);
            Map<String, String> entries = new HashMap<>();
            store.forEachEntry(entries::put);
            assertThat(entries).hasSize(50).containsEntry("v0", "stamp-0");
        }
    }

    @Test
    void searchByIdLeavesTheEntryItselfOut() {
        try (LuceneVectorStore store = open(schema(1, Metric.EUCLIDEAN))) {
            store.write(StoreBatch.builder().addPut("a", new float[] {0}, null).addPut("b", new float[] {1}, null)
                    .addPut("c", new float[] {3}, null).build());
            assertThat(store.searchById("a", 2)).containsExactly(new Match("b", 1f), new Match("c", 3f));
            assertThatThrownBy(() -> store.searchById("zz", 2)).hasMessageContaining("no entry 'zz'");
        }
    }

    @Test
    void badInputIsRefusedAndNothingOfTheBatchIsWritten() {
        try (LuceneVectorStore store = open(schema(2, Metric.COSINE))) {
            assertThatThrownBy(() -> store.write(StoreBatch.builder().addPut("ok", new float[] {1, 1}, null)
                    .addPut("short", new float[] {1}, null).build()))
                    .isInstanceOf(CnnkitException.class).hasMessageContaining("'short' has 1 values");
            assertThatThrownBy(() -> store.write(StoreBatch.builder().addPut("ok", new float[] {1, 1}, null)
                    .addPut("nan", new float[] {Float.NaN, 1}, null).build()))
                    .hasMessageContaining("'nan' has the value NaN");
            assertThatThrownBy(() -> store.write(StoreBatch.builder().addPut("ok", new float[] {1, 1}, null)
                    .addPut("ok", new float[] {1, 2}, null).build())).hasMessageContaining("'ok' comes twice");
            assertThatThrownBy(() -> store.write(StoreBatch.builder().addPut(" ", new float[] {1, 1}, null).build()))
                    .hasMessageContaining("empty id");
            assertThatThrownBy(() -> store.write(StoreBatch.builder().addPut("zero", new float[] {0, 0}, null)
                    .build())).hasMessageContaining("'zero' is a zero vector");
            assertThat(store.size()).isZero();
            assertThatThrownBy(() -> store.search(new float[][] {{1, Float.POSITIVE_INFINITY}}, 1))
                    .hasMessageContaining("query 0 has the value Infinity");
        }
    }

    @Test
    void aStoreOfAnotherExtractorIsRefused() {
        StoreSchema schema = new StoreSchema(8, Metric.EUCLIDEAN, List.of(), Optional.of(IDENTITY), Map.of());
        open(schema).close();
        ExtractorIdentity other = new ExtractorIdentity("other/model", "ffff", InputShape.rgb(16),
                Preprocessing.RESCALE, 8);
        assertThatThrownBy(() -> open(new StoreSchema(8, Metric.EUCLIDEAN, List.of(), Optional.of(other), Map.of())))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("built with the extractor test/features");
    }

    @Test
    void openingAFolderWithoutAStoreAndWithoutASchemaSaysSo() {
        assertThatThrownBy(() -> LuceneVectorStore.open(
                new StoreSpec(StoreSpec.Kind.LUCENE, dir.resolve("none").toString()), StoreOptions.openExisting()))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("there is no lucene store in");
    }

    @Test
    void unknownAndOutOfRangeParametersAreRefused() {
        assertThatThrownBy(() -> open(schema(2, Metric.EUCLIDEAN), "ef-search", "10"))
                .hasMessageContaining("no parameter 'ef-search'").hasMessageContaining("beam-width");
        assertThatThrownBy(() -> open(schema(2, Metric.EUCLIDEAN), "m", "0")).hasMessageContaining("m=0");
        assertThatThrownBy(() -> open(schema(2, Metric.EUCLIDEAN), "quantization", "int2"))
                .hasMessageContaining("none, int8, int4");
    }

    @Test
    void vectorsWiderThanLucenesDefaultLimitAreIndexedUpTo4096() {
        float[][] vectors = gaussian(20, 2048, 7);
        try (LuceneVectorStore store = open(schema(2048, Metric.EUCLIDEAN))) {
            store.write(puts(vectors, "w"));
            assertThat(store.search(new float[][] {vectors[3]}, 1).get(0).get(0).id()).isEqualTo("w3");
        }
    }

    @Test
    void vectorsWiderThan4096AreRefusedWithAdviceToAddPca() {
        assertThatThrownBy(() -> open(schema(5000, Metric.EUCLIDEAN)))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("add a PCA step");
    }

    @Test
    void aSecondWriterWaitsForTheLockThenFailsNamingIt() {
        try (LuceneVectorStore first = open(schema(2, Metric.EUCLIDEAN))) {
            first.write(StoreBatch.builder().addPut("a", new float[] {1, 2}, null).build());
            try (LuceneVectorStore second = LuceneVectorStore.open(
                    new StoreSpec(StoreSpec.Kind.LUCENE, dir.resolve("store").toString()),
                    StoreOptions.builder().optLockTimeout(Duration.ofMillis(300)).build())) {
                assertThat(second.contains("a")).isTrue();
                assertThatThrownBy(() -> second.write(StoreBatch.builder().addPut("b", new float[] {1, 2}, null)
                        .build())).isInstanceOf(CnnkitException.class).hasMessageContaining("write.lock");
            }
        }
    }

    @Test
    void recallAt10AgainstExactIsHighOnClusteredVectors() {
        assertRecall("none");
    }

    @Test
    void int8QuantizedGraphKeepsRecallThroughExactReRanking() {
        assertRecall("int8");
    }

    private void assertRecall(String quantization) {
        int n = 3000;
        int d = 32;
        Random random = new Random(11);
        float[][] centres = gaussian(30, d, 12);
        float[][] vectors = new float[n][d];
        for (int i = 0; i < n; i++) {
            float[] c = centres[random.nextInt(centres.length)];
            for (int j = 0; j < d; j++) {
                vectors[i][j] = c[j] + 0.5f * (float) random.nextGaussian();
            }
        }
        float[][] queries = gaussian(100, d, 13);
        for (int q = 0; q < queries.length; q++) {
            float[] c = centres[q % centres.length];
            for (int j = 0; j < d; j++) {
                queries[q][j] = c[j] + 0.5f * queries[q][j];
            }
        }
        try (LuceneVectorStore store = open(schema(d, Metric.EUCLIDEAN), "quantization", quantization)) {
            for (int start = 0; start < n; start += 1000) {
                float[][] part = java.util.Arrays.copyOfRange(vectors, start, start + 1000);
                StoreBatch.Builder batch = StoreBatch.builder();
                for (int i = 0; i < part.length; i++) {
                    batch.addPut("v" + (start + i), part[i], null);
                }
                store.write(batch.build());
            }
            List<List<Match>> found = store.search(queries, 10);
            double recall = 0;
            for (int q = 0; q < queries.length; q++) {
                Set<String> truth = new HashSet<>();
                exact(vectors, "v", queries[q], 10, Metric.EUCLIDEAN).forEach(m -> truth.add(m.id()));
                recall += found.get(q).stream().filter(m -> truth.contains(m.id())).count() / 10.0;
            }
            assertThat(recall / queries.length).isGreaterThanOrEqualTo(0.95);
        }
    }

    @Test
    void searchesDuringWritesSeeWholeBatchesOnly() throws Exception {
        try (LuceneVectorStore store = open(schema(4, Metric.EUCLIDEAN))) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread reader = new Thread(() -> {
                try {
                    for (int i = 0; i < 300 && failure.get() == null; i++) {
                        long size = store.size();
                        List<Match> all = store.search(new float[][] {{0, 0, 0, 0}}, 1000).get(0);
                        assertThat(size % 10).isZero();
                        assertThat(all.size() % 10).isZero();
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            reader.start();
            float[][] vectors = gaussian(400, 4, 9);
            for (int b = 0; b < 40; b++) {
                StoreBatch.Builder batch = StoreBatch.builder();
                for (int i = 0; i < 10; i++) {
                    batch.addPut("b" + b + "-" + i, vectors[b * 10 + i], null);
                }
                if (b >= 20) {
                    for (int i = 0; i < 10; i++) {
                        batch.addRemove("b" + (b - 20) + "-" + i);
                    }
                }
                store.write(batch.build());
            }
            reader.join();
            assertThat(failure.get()).isNull();
            assertThat(store.size()).isEqualTo(200);
        }
    }
}
