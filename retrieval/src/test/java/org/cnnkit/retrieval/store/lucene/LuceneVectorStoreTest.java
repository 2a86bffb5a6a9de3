package org.cnnkit.retrieval.store.lucene;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.lucene.codecs.KnnVectorsReader;
import org.apache.lucene.codecs.hnsw.HnswGraphProvider;
import org.apache.lucene.codecs.perfield.PerFieldKnnVectorsFormat;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.CodecReader;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.FilterDirectory;
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
import org.cnnkit.retrieval.store.StoreNotFoundException;
import org.cnnkit.retrieval.store.StoreSpec;
import org.cnnkit.retrieval.store.VectorStore;
import org.cnnkit.retrieval.store.VectorStoreContractTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lucene store against the one store contract, plus what only it has: graph parameters, quantisation, the
 * raised dimension limit, the write lock between store instances.
 */
class LuceneVectorStoreTest extends VectorStoreContractTest {

    private static final ExtractorIdentity IDENTITY = new ExtractorIdentity("test/features", "0123456789abcdef",
            InputShape.rgb(16), Preprocessing.RESCALE, 8);

    @TempDir
    Path dir;

    private final AtomicBoolean failNextSync = new AtomicBoolean();
    private Path location;
    private int created;

    @Override
    protected VectorStore create(StoreSchema schema) {
        location = dir.resolve("contract-" + (created++));
        return LuceneVectorStore.open(new StoreSpec(StoreSpec.Kind.LUCENE, location.toString()),
                StoreOptions.builder().optSchemaForNewStore(schema).build(), this::failingDirectory);
    }

    @Override
    protected VectorStore reopen(Optional<StoreSchema> schemaForNewStore) {
        StoreOptions.Builder options = StoreOptions.builder();
        schemaForNewStore.ifPresent(options::optSchemaForNewStore);
        return LuceneVectorStore.open(new StoreSpec(StoreSpec.Kind.LUCENE, location.toString()), options.build(),
                this::failingDirectory);
    }

    @Override
    protected double recallFloor() {
        return 0.95;
    }

    @Override
    protected boolean failNextWrite(VectorStore store) {
        failNextSync.set(true);
        return true;
    }

    /** The store's directory, whose next fsync fails once when asked (as a full or failing disk would). */
    private Directory failingDirectory(Path folder) throws IOException {
        return new FilterDirectory(FSDirectory.open(folder)) {
            @Override
            public void sync(Collection<String> names) throws IOException {
                if (failNextSync.getAndSet(false)) {
                    throw new IOException("injected failure: no space left on device");
                }
                super.sync(names);
            }
        };
    }

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
    void openingAFolderWithoutAStoreAndWithoutASchemaSaysSo() {
        assertThatThrownBy(() -> LuceneVectorStore.open(
                new StoreSpec(StoreSpec.Kind.LUCENE, dir.resolve("none").toString()), StoreOptions.openExisting()))
                .isInstanceOf(StoreNotFoundException.class).hasMessageContaining("there is no lucene store in");
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
    void int8QuantizedGraphKeepsRecallThroughExactReRanking() {
        assertRecall("int8");
    }

    @Test
    void searchingTheGraphDirectlyFindsWhatLucenesOwnSearchFindsWithExactDistances() throws IOException {
        float[][] vectors = gaussian(3000, 32, 21);
        float[][] queries = gaussian(50, 32, 22);
        Set<String> removed = new HashSet<>();
        List<List<Match>> found;
        try (LuceneVectorStore store = open(schema(32, Metric.EUCLIDEAN), "merge-threads", "1")) {
            store.write(puts(vectors, "v"));
            StoreBatch.Builder removals = StoreBatch.builder();
            for (int i = 0; i < vectors.length; i += 7) {
                removals.addRemove("v" + i);
                removed.add("v" + i);
            }
            store.write(removals.build());
            found = store.search(queries, 10, 40);
        }
        int same = 0;
        try (Directory directory = FSDirectory.open(dir.resolve("store"));
             DirectoryReader reader = DirectoryReader.open(directory)) {
            IndexSearcher searcher = new IndexSearcher(reader);
            for (int q = 0; q < queries.length; q++) {
                TopDocs top = searcher.search(new KnnFloatVectorQuery(LuceneVectorStore.VECTOR_FIELD, queries[q], 40),
                        10);
                Set<String> lucene = new HashSet<>();
                for (ScoreDoc hit : top.scoreDocs) {
                    LeafReaderContext leaf = reader.leaves().get(ReaderUtil.subIndex(hit.doc, reader.leaves()));
                    BinaryDocValues ids = leaf.reader().getBinaryDocValues(LuceneVectorStore.ID_FIELD);
                    assertThat(ids.advanceExact(hit.doc - leaf.docBase)).isTrue();
                    lucene.add(ids.binaryValue().utf8ToString());
                }
                assertThat(found.get(q)).hasSize(10);
                for (Match m : found.get(q)) {
                    assertThat(removed).doesNotContain(m.id());
                    float[] x = vectors[Integer.parseInt(m.id().substring(1))];
                    double s = 0;
                    for (int j = 0; j < x.length; j++) {
                        s += (queries[q][j] - x[j]) * (double) (queries[q][j] - x[j]);
                    }
                    assertThat((double) m.distance()).isCloseTo(Math.sqrt(s), org.assertj.core.data.Offset.offset(1e-4));
                    same += lucene.contains(m.id()) ? 1 : 0;
                }
            }
        }
        assertThat(same / (10.0 * queries.length)).isGreaterThanOrEqualTo(0.99);
    }

    @Test
    void aSegmentDecodedForSearchFindsWhatTheSegmentAsLuceneKeepsItFinds() {
        float[][] vectors = gaussian(3000, 32, 41);
        float[][] queries = gaussian(50, 32, 42);
        StoreBatch.Builder removals = StoreBatch.builder();
        for (int i = 0; i < vectors.length; i += 5) {
            removals.addRemove("v" + i);
        }
        List<List<Match>> decoded;
        try (LuceneVectorStore store = open(schema(32, Metric.EUCLIDEAN), "merge-threads", "1")) {
            store.write(puts(vectors, "v"));
            store.write(removals.build());
            decoded = store.search(queries, 10, 40);
            assertThat(store.decodedSegments().size()).isEqualTo(store.segmentCount());
        }
        try (LuceneVectorStore store = LuceneVectorStore.open(
                new StoreSpec(StoreSpec.Kind.LUCENE, dir.resolve("store").toString()),
                StoreOptions.builder().addParameter("search-cache-mb", "0").build())) {
            List<List<Match>> asStored = store.search(queries, 10, 40);
            assertThat(store.decodedSegments().size()).isZero();
            for (int q = 0; q < queries.length; q++) {
                assertThat(decoded.get(q)).extracting(Match::id)
                        .containsExactlyElementsOf(asStored.get(q).stream().map(Match::id).toList());
                for (int i = 0; i < 10; i++) {
                    assertThat(decoded.get(q).get(i).distance()).isCloseTo(asStored.get(q).get(i).distance(),
                            org.assertj.core.data.Offset.offset(1e-5f));
                }
            }
        }
    }

    @Test
    void aDecodedSegmentIsDroppedWhenMergingClosesIt() {
        float[][] vectors = gaussian(2000, 16, 43);
        try (LuceneVectorStore store = open(schema(16, Metric.EUCLIDEAN), "merge-threads", "1")) {
            store.write(puts(java.util.Arrays.copyOfRange(vectors, 0, 1000), "a"));
            store.write(puts(java.util.Arrays.copyOfRange(vectors, 1000, 2000), "b"));
            store.search(new float[][] {vectors[0]}, 1);
            assertThat(store.decodedSegments().size()).isEqualTo(2);
            long twoSegments = store.decodedSegments().usedBytes();
            store.forceMerge(1);
            assertThat(store.decodedSegments().size()).isZero();
            assertThat(store.decodedSegments().usedBytes()).isZero();
            assertThat(store.search(new float[][] {vectors[1500]}, 1).get(0).get(0).id()).isEqualTo("b500");
            assertThat(store.decodedSegments().size()).isEqualTo(1);
            assertThat(store.decodedSegments().usedBytes()).isBetween(twoSegments * 9 / 10, twoSegments * 11 / 10);
        }
    }

    @Test
    void segmentsBeyondTheSearchCacheBudgetAreSearchedWhereLuceneKeepsThem() {
        float[][] vectors = gaussian(6000, 32, 44);
        try (LuceneVectorStore store = open(schema(32, Metric.EUCLIDEAN), "merge-threads", "1",
                "search-cache-mb", "1", "ef", "100")) {
            store.write(puts(java.util.Arrays.copyOfRange(vectors, 0, 3000), "a"));
            store.write(puts(java.util.Arrays.copyOfRange(vectors, 3000, 6000), "b"));
            assertThat(store.segmentCount()).isEqualTo(2);
            List<Match> found = store.search(new float[][] {vectors[4500]}, 1).get(0);
            assertThat(store.decodedSegments().size()).isEqualTo(1);
            assertThat(store.decodedSegments().usedBytes()).isLessThanOrEqualTo(1024 * 1024);
            assertThat(found.get(0).id()).isEqualTo("b1500");
            assertThat(store.search(new float[][] {vectors[1500]}, 1).get(0).get(0).id()).isEqualTo("a1500");
        }
    }

    @Test
    void aForcedMergeBuildsTheMergedGraphOnTheStoresMergeWorkers() {
        float[][] vectors = gaussian(2000, 16, 31);
        try (LuceneVectorStore store = open(schema(16, Metric.EUCLIDEAN), "merge-threads", "2")) {
            store.write(puts(java.util.Arrays.copyOfRange(vectors, 0, 1000), "a"));
            store.write(puts(java.util.Arrays.copyOfRange(vectors, 1000, 2000), "b"));
            assertThat(store.segmentCount()).isEqualTo(2);
            store.forceMerge(1);
            assertThat(store.segmentCount()).isEqualTo(1);
            assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
                    .contains("cnnkit-lucene-merge-worker");
            assertThat(store.search(new float[][] {vectors[1500]}, 1, 32).get(0).get(0).id()).isEqualTo("b500");
        }
    }

    @Test
    void aLargeBatchBecomesOneSegmentWithOneGraphAndOnlyGraphSegmentsAreCommitted() throws IOException {
        float[][] small = gaussian(100, 16, 41);
        float[][] large = gaussian(BulkLoad.MIN_PUTS + 500, 16, 42);
        try (LuceneVectorStore store = open(schema(16, Metric.EUCLIDEAN), "merge-threads", "2")) {
            store.write(puts(small, "a"));
            store.write(puts(large, "b"));
            assertThat(store.segmentCount()).isEqualTo(2);
            assertThat(store.size()).isEqualTo(small.length + large.length);
            for (int i = 0; i < large.length; i += 997) {
                assertThat(store.search(new float[][] {large[i]}, 1).get(0).get(0).id()).isEqualTo("b" + i);
            }
            assertThat(store.search(new float[][] {small[7]}, 1).get(0).get(0).id()).isEqualTo("a7");
        }
        try (Directory directory = FSDirectory.open(dir.resolve("store"));
             DirectoryReader reader = DirectoryReader.open(directory)) {
            assertThat(reader.leaves()).hasSize(2);
            for (LeafReaderContext leaf : reader.leaves()) {
                KnnVectorsReader vectors = ((CodecReader) leaf.reader()).getVectorReader();
                if (vectors instanceof PerFieldKnnVectorsFormat.FieldsReader perField) {
                    vectors = perField.getFieldReader(LuceneVectorStore.VECTOR_FIELD);
                }
                assertThat(vectors).isInstanceOf(HnswGraphProvider.class);
            }
        }
    }

    @Test
    void aLargeBatchReplacingEntriesLeavesOneLiveEntryPerId() {
        float[][] first = gaussian(BulkLoad.MIN_PUTS, 8, 44);
        float[][] second = gaussian(BulkLoad.MIN_PUTS, 8, 45);
        try (LuceneVectorStore store = open(schema(8, Metric.EUCLIDEAN))) {
            store.write(puts(first, "v"));
            store.write(puts(second, "v"));
            assertThat(store.size()).isEqualTo(BulkLoad.MIN_PUTS);
            assertThat(store.search(new float[][] {second[123]}, 1).get(0).get(0))
                    .satisfies(m -> assertThat(m.id()).isEqualTo("v123"))
                    .satisfies(m -> assertThat(m.distance()).isZero());
        }
    }

    @Test
    void aLargeBatchThatFailsLeavesNothingAndTheStoreTakesTheNextOne() {
        float[][] large = gaussian(BulkLoad.MIN_PUTS, 8, 43);
        try (VectorStore store = create(schema(8, Metric.EUCLIDEAN))) {
            store.write(puts(gaussian(3, 8, 46), "a"));
            failNextSync.set(true);
            assertThatThrownBy(() -> store.write(puts(large, "b"))).isInstanceOf(CnnkitException.class);
            assertThat(store.size()).isEqualTo(3);
            assertThat(store.contains("b0")).isFalse();
            store.write(puts(large, "b"));
            assertThat(store.size()).isEqualTo(3 + large.length);
            assertThat(store.search(new float[][] {large[9]}, 1).get(0).get(0).id()).isEqualTo("b9");
        }
    }

    @Test
    void aLargeBatchKeepsRecall() {
        assertRecall("none", BulkLoad.MIN_PUTS + 2000, BulkLoad.MIN_PUTS + 2000);
    }

    @Test
    void aLargeInt8BatchKeepsRecall() {
        assertRecall("int8", BulkLoad.MIN_PUTS + 2000, BulkLoad.MIN_PUTS + 2000);
    }

    private void assertRecall(String quantization) {
        assertRecall(quantization, 3000, 1000);
    }

    private void assertRecall(String quantization, int n, int batchSize) {
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
            for (int start = 0; start < n; start += batchSize) {
                float[][] part = java.util.Arrays.copyOfRange(vectors, start, start + batchSize);
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
}
