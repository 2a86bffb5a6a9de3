package org.cnnkit.retrieval.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.retrieval.ExtractorIdentity;
import org.cnnkit.retrieval.Match;
import org.cnnkit.retrieval.Metric;
import org.cnnkit.retrieval.QueryExpansion;
import org.cnnkit.retrieval.VectorTransform;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The one contract every {@link VectorStore} passes. A subclass says how to create a new store, reopen it, the
 * recall@10 it promises against exact search, and (if it can) how to make its next write fail inside the store.
 */
public abstract class VectorStoreContractTest {

    /** The dimension of the generated vectors of most tests. */
    protected static final int DIMENSION = 16;

    private final List<VectorStore> opened = new ArrayList<>();

    /**
     * Creates a new, empty store with the given schema, at a location no other test uses. The subclass remembers
     * the location for {@link #reopen(Optional)}.
     *
     * @param schema the schema of the new store
     * @return the open store
     */
    protected abstract VectorStore create(StoreSchema schema);

    /**
     * Opens the store last made by {@link #create(StoreSchema)} again, as a new instance (as another process
     * would).
     *
     * @param schemaForNewStore the schema passed in the options (to check that a mismatch is refused), or empty
     * @return the open store
     */
    protected abstract VectorStore reopen(Optional<StoreSchema> schemaForNewStore);

    /** Returns the smallest recall@10 against exact search the store promises on clustered vectors (1 for exact). */
    protected abstract double recallFloor();

    /**
     * Makes the next write of a store fail inside the store, after the batch was checked (for example its file
     * or transaction failing). Stores that cannot inject a failure return false and the test is skipped.
     *
     * @param store the store
     * @return whether the next write will fail
     */
    protected boolean failNextWrite(VectorStore store) {
        return false;
    }

    private VectorStore track(VectorStore store) {
        opened.add(store);
        return store;
    }

    private VectorStore newStore(StoreSchema schema) {
        return track(create(schema));
    }

    private VectorStore openAgain(Optional<StoreSchema> schema) {
        return track(reopen(schema));
    }

    @AfterEach
    void closeStores() {
        for (VectorStore store : opened) {
            try {
                store.close();
            } catch (RuntimeException e) {
                // Already closed by the test.
            }
        }
        opened.clear();
    }

    /** An extractor identity for test schemas. */
    protected static ExtractorIdentity identity(String model, int dimension) {
        return new ExtractorIdentity(model, "0123456789abcdef", InputShape.rgb(16), Preprocessing.RESCALE, dimension);
    }

    /** A Euclidean schema without transforms. */
    protected static StoreSchema rawSchema(int dimension) {
        return new StoreSchema(dimension, Metric.EUCLIDEAN, List.of(), Optional.of(identity("test/raw", dimension)),
                Map.of());
    }

    private static float[] randomVector(Random random, int dimension) {
        float[] v = new float[dimension];
        for (int j = 0; j < dimension; j++) {
            v[j] = (float) random.nextGaussian();
        }
        return v;
    }

    private static StoreBatch puts(String prefix, int count, Random random) {
        StoreBatch.Builder batch = StoreBatch.builder();
        for (int i = 0; i < count; i++) {
            batch.addPut(prefix + i, randomVector(random, DIMENSION), "stamp-" + prefix + i);
        }
        return batch.build();
    }

    private static List<String> ids(List<Match> matches) {
        return matches.stream().map(Match::id).toList();
    }

    @Test
    void addedVectorsAreFoundWithTheirStamps() {
        VectorStore store = newStore(rawSchema(DIMENSION));
        Random random = new Random(1);
        float[] a = randomVector(random, DIMENSION);
        float[] b = randomVector(random, DIMENSION);
        store.write(StoreBatch.builder().addPut("a.jpg", a, "1:2").addPut("dir/b.jpg", b, null).build());

        assertThat(store.size()).isEqualTo(2);
        assertThat(store.contains("a.jpg")).isTrue();
        assertThat(store.contains("c.jpg")).isFalse();
        assertThat(store.stamp("a.jpg")).contains("1:2");
        assertThat(store.stamp("dir/b.jpg")).isEmpty();
        List<Match> matches = store.search(new float[][] {b}, 2).get(0);
        assertThat(ids(matches)).containsExactly("dir/b.jpg", "a.jpg");
        assertThat(matches.get(0).distance()).isCloseTo(0f, within(1e-3f));
        double expected = 0;
        for (int j = 0; j < DIMENSION; j++) {
            expected += (a[j] - b[j]) * (a[j] - b[j]);
        }
        assertThat((double) matches.get(1).distance()).isCloseTo(Math.sqrt(expected), within(1e-3));
    }

    @Test
    void removedEntriesAreGoneAndAbsentIdsAreIgnored() {
        VectorStore store = newStore(rawSchema(DIMENSION));
        store.write(puts("r", 5, new Random(2)));
        store.write(StoreBatch.builder().addRemove("r1").addRemove("r3").addRemove("never-stored").build());

        assertThat(store.size()).isEqualTo(3);
        assertThat(store.contains("r1")).isFalse();
        List<String> all = new ArrayList<>();
        store.forEachEntry((id, stamp) -> all.add(id));
        assertThat(all).containsExactlyInAnyOrder("r0", "r2", "r4");
        float[] query = new float[DIMENSION];
        assertThat(ids(store.search(new float[][] {query}, 10).get(0))).containsExactlyInAnyOrder("r0", "r2", "r4");
    }

    @Test
    void putOfAnExistingIdReplacesItsVectorAndStamp() {
        VectorStore store = newStore(rawSchema(DIMENSION));
        Random random = new Random(3);
        store.write(puts("p", 4, random));
        float[] moved = randomVector(random, DIMENSION);
        store.write(StoreBatch.builder().addPut("p2", moved, "new").build());

        assertThat(store.size()).isEqualTo(4);
        assertThat(store.stamp("p2")).contains("new");
        List<Match> matches = store.search(new float[][] {moved}, 1).get(0);
        assertThat(matches.get(0).id()).isEqualTo("p2");
        assertThat(matches.get(0).distance()).isCloseTo(0f, within(1e-3f));
    }

    @Test
    void aBatchWithABadEntryHalfWayWritesNothing() {
        VectorStore store = newStore(rawSchema(DIMENSION));
        store.write(puts("old", 5, new Random(4)));
        StoreBatch.Builder batch = StoreBatch.builder().addRemove("old0");
        Random random = new Random(5);
        for (int i = 0; i < 10; i++) {
            float[] v = randomVector(random, DIMENSION);
            if (i == 7) {
                v[3] = Float.NaN;
            }
            batch.addPut("new" + i, v, null);
        }

        assertThatThrownBy(() -> store.write(batch.build())).isInstanceOf(CnnkitException.class)
                .hasMessageContaining("new7").hasMessageContaining("NaN");
        assertThat(store.size()).isEqualTo(5);
        assertThat(store.contains("old0")).isTrue();
        for (int i = 0; i < 10; i++) {
            assertThat(store.contains("new" + i)).isFalse();
        }
        try (VectorStore again = reopen(Optional.empty())) {
            assertThat(again.size()).isEqualTo(5);
            assertThat(again.contains("new0")).isFalse();
        }
    }

    @Test
    void aWriteThatFailsInsideTheStoreKeepsNothingOfTheBatch() {
        VectorStore store = newStore(rawSchema(DIMENSION));
        store.write(puts("kept", 5, new Random(6)));
        Assumptions.assumeTrue(failNextWrite(store), "this store offers no way to inject a write failure");
        StoreBatch batch = StoreBatch.builder().addRemove("kept0").addPut("lost", new float[DIMENSION], null)
                .addPut("kept1", randomVector(new Random(7), DIMENSION), "replaced").build();

        assertThatThrownBy(() -> store.write(batch)).isInstanceOf(CnnkitException.class);
        assertThat(store.size()).isEqualTo(5);
        assertThat(store.contains("lost")).isFalse();
        assertThat(store.contains("kept0")).isTrue();
        assertThat(store.stamp("kept1")).contains("stamp-kept1");
        try (VectorStore again = reopen(Optional.empty())) {
            assertThat(again.size()).isEqualTo(5);
            assertThat(again.contains("lost")).isFalse();
            assertThat(again.stamp("kept1")).contains("stamp-kept1");
        }
        store.write(StoreBatch.builder().addPut("after", new float[DIMENSION], null).build());
        assertThat(store.size()).isEqualTo(6);
    }

    @Test
    void searchesDuringWritesSeeWholeBatches() throws Exception {
        VectorStore store = newStore(rawSchema(DIMENSION));
        Random random = new Random(8);
        int batches = 40;
        float[][] centers = new float[batches][];
        for (int b = 0; b < batches; b++) {
            centers[b] = randomVector(random, DIMENSION);
            for (int j = 0; j < DIMENSION; j++) {
                centers[b][j] *= 100;
            }
        }
        AtomicBoolean done = new AtomicBoolean();
        AtomicInteger written = new AtomicInteger(-1);
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        Thread writer = new Thread(() -> {
            try {
                for (int b = 0; b < batches; b++) {
                    StoreBatch.Builder batch = StoreBatch.builder();
                    for (int i = 0; i < 10; i++) {
                        float[] v = centers[b].clone();
                        v[i % DIMENSION] += 0.01f * (i + 1);
                        batch.addPut("tag" + b + "/" + i, v, null);
                    }
                    if (b >= 2) {
                        for (int i = 0; i < 10; i++) {
                            batch.addRemove("tag" + (b - 2) + "/" + i);
                        }
                    }
                    store.write(batch.build());
                    written.set(b);
                }
            } catch (RuntimeException e) {
                problems.add("writer failed: " + e);
            } finally {
                done.set(true);
            }
        });
        writer.start();
        int searches = 0;
        while (!done.get() || searches < 20) {
            int b = Math.min(random.nextInt(Math.max(1, written.get() + 2)), batches - 1);
            List<Match> matches = store.search(new float[][] {centers[b]}, 10).get(0);
            long ofTag = matches.stream().filter(m -> m.id().startsWith("tag" + b + "/")).count();
            if (ofTag != 0 && ofTag != 10) {
                problems.add("a search saw " + ofTag + " of the 10 entries of batch " + b);
            }
            Map<String, Integer> perTag = new HashMap<>();
            store.forEachEntry((id, stamp) -> perTag.merge(id.substring(0, id.indexOf('/')), 1, Integer::sum));
            perTag.forEach((tag, count) -> {
                if (count != 10) {
                    problems.add("forEachEntry saw " + count + " entries of " + tag);
                }
            });
            searches++;
        }
        writer.join();
        assertThat(problems).isEmpty();
        assertThat(store.size()).isEqualTo(20);
    }

    @Test
    void closeAndReopenKeepVectorsStampsSchemaAndPipeline() {
        StoreSchema schema = new StoreSchema(DIMENSION, Metric.COSINE,
                List.of(VectorTransform.center(), VectorTransform.pca(6)),
                Optional.of(identity("test/reopen", DIMENSION)), Map.of("extractor", "tiny", "root", "."));
        VectorStore store = newStore(schema);
        Random random = new Random(9);
        store.write(puts("x", 60, random));
        store.write(puts("y", 20, random));
        store.write(StoreBatch.builder().addRemove("x5").build());
        float[][] queries = new float[5][];
        for (int i = 0; i < queries.length; i++) {
            queries[i] = randomVector(random, DIMENSION);
        }
        List<List<Match>> before = store.search(queries, 5);
        List<Match> byIdBefore = store.searchById("y3", 5);
        byte[] pipelineBefore = store.pipeline().orElseThrow().toBytes();
        store.close();

        VectorStore again = openAgain(Optional.empty());
        assertThat(again.schema()).isEqualTo(schema);
        assertThat(again.size()).isEqualTo(79);
        assertThat(again.stamp("y7")).contains("stamp-y7");
        assertThat(again.contains("x5")).isFalse();
        assertThat(again.pipeline().orElseThrow().toBytes()).isEqualTo(pipelineBefore);
        List<List<Match>> after = again.search(queries, 5);
        for (int q = 0; q < queries.length; q++) {
            assertThat(ids(after.get(q))).isEqualTo(ids(before.get(q)));
            for (int i = 0; i < after.get(q).size(); i++) {
                assertThat(after.get(q).get(i).distance()).isCloseTo(before.get(q).get(i).distance(), within(1e-4f));
            }
        }
        assertThat(ids(again.searchById("y3", 5))).isEqualTo(ids(byIdBefore));
    }

    @Test
    void badEntriesAreRefusedWithClearMessages() {
        VectorStore store = newStore(rawSchema(DIMENSION));
        float[] good = randomVector(new Random(10), DIMENSION);
        float[] infinite = good.clone();
        infinite[2] = Float.POSITIVE_INFINITY;

        assertThatThrownBy(() -> store.write(StoreBatch.builder().addPut("short", new float[3], null).build()))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("short").hasMessageContaining("3 values")
                .hasMessageContaining(DIMENSION + "-d");
        assertThatThrownBy(() -> store.write(StoreBatch.builder().addPut("inf", infinite, null).build()))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("inf").hasMessageContaining("Infinity");
        assertThatThrownBy(() -> store.write(StoreBatch.builder().addPut("twice", good, null)
                .addPut("twice", good, null).build()))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("twice").hasMessageContaining("appears twice");
        assertThatThrownBy(() -> store.write(StoreBatch.builder().addPut(" ", good, null).build()))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("empty id");
        assertThatThrownBy(() -> store.search(new float[][] {good}, 0))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("at least 1");
        assertThatThrownBy(() -> store.search(new float[][] {new float[DIMENSION + 1]}, 3))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("query 0")
                .hasMessageContaining((DIMENSION + 1) + " values");
        assertThatThrownBy(() -> store.searchById("missing", 3))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("missing");
        assertThat(store.size()).isZero();
    }

    @Test
    void aZeroVectorIsRefusedUnderCosine() {
        StoreSchema cosine = new StoreSchema(DIMENSION, Metric.COSINE, List.of(), Optional.empty(), Map.of());
        VectorStore store = newStore(cosine);

        assertThatThrownBy(() -> store.write(StoreBatch.builder().addPut("zero", new float[DIMENSION], null).build()))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("zero").hasMessageContaining("cosine");
        assertThat(store.size()).isZero();
    }

    @Test
    void aMismatchedExtractorIsRefusedOnOpen() {
        VectorStore store = newStore(rawSchema(DIMENSION));
        store.write(puts("m", 3, new Random(11)));
        store.close();
        StoreSchema other = new StoreSchema(DIMENSION, Metric.EUCLIDEAN, List.of(),
                Optional.of(identity("test/other-model", DIMENSION)), Map.of());

        assertThatThrownBy(() -> openAgain(Optional.of(other))).isInstanceOf(CnnkitException.class)
                .hasMessageContaining("test/raw").hasMessageContaining("test/other-model");
    }

    @Test
    void searchByIdLeavesTheEntryOut() {
        VectorStore store = newStore(rawSchema(DIMENSION));
        store.write(puts("s", 30, new Random(12)));

        List<Match> matches = store.searchById("s4", 5);

        assertThat(matches).hasSize(5);
        assertThat(ids(matches)).doesNotContain("s4");
        assertThat(matches).isSortedAccordingTo((m1, m2) -> Float.compare(m1.distance(), m2.distance()));
    }

    /** A schema with L2 + PCA(8) + L2 and the default query expansion recorded as a property. */
    private static StoreSchema expandedSchema() {
        return StoreSchema.of(identity("test/expanded", DIMENSION), new org.cnnkit.retrieval.SearchSettings(
                Metric.EUCLIDEAN, List.of(VectorTransform.l2Normalize(), VectorTransform.pca(8),
                VectorTransform.l2Normalize()), Optional.of(QueryExpansion.defaults())));
    }

    @Test
    void spaceVectorsAreTheTransformedVectorsAndSearchInSpaceFindsThem() {
        VectorStore store = newStore(expandedSchema());
        Random random = new Random(21);
        store.write(puts("v", 60, random));
        Map<String, float[]> stored = store.spaceVectors(List.of("v3", "v7", "absent"));

        assertThat(stored).containsOnlyKeys("v3", "v7");
        float[] v3 = stored.get("v3");
        assertThat(v3).hasSize(8);
        double norm = 0;
        for (float x : v3) {
            norm += x * x;
        }
        assertThat(norm).isCloseTo(1.0, within(1e-3));
        List<Match> found = store.searchInSpace(new float[][] {v3}, 3).get(0);
        assertThat(found.get(0).id()).isEqualTo("v3");
        assertThat(found.get(0).distance()).isLessThan(1e-3f);
        assertThatThrownBy(() -> store.searchInSpace(new float[][] {new float[5]}, 3))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("search space has 8");
    }

    @Test
    void theQueryExpansionIsKeptInTheSchemaAndRanksANearCopyFirst() {
        VectorStore store = newStore(expandedSchema());
        Random random = new Random(22);
        float[][] vectors = new float[60][];
        StoreBatch.Builder batch = StoreBatch.builder();
        for (int i = 0; i < vectors.length; i++) {
            vectors[i] = randomVector(random, DIMENSION);
            batch.addPut("e" + i, vectors[i], null);
        }
        store.write(batch.build());
        QueryExpansion expansion = store.schema().settings().expansion().orElseThrow();
        assertThat(expansion).isEqualTo(QueryExpansion.defaults());
        float[] copy = vectors[17].clone();
        copy[0] += 0.01f;

        List<Match> found = expansion.search(store, new float[][] {copy}, 5).get(0);
        List<Match> byId = expansion.searchById(store, "e17", 5);

        assertThat(found).hasSize(5);
        assertThat(found.get(0).id()).isEqualTo("e17");
        assertThat(ids(byId)).hasSize(5).doesNotContain("e17").doesNotHaveDuplicates();
    }

    @Test
    void forEachEntryVisitsEveryEntryWithItsStamp() {
        VectorStore store = newStore(rawSchema(DIMENSION));
        store.write(puts("f", 150, new Random(13)));
        store.write(puts("g", 50, new Random(14)));
        Map<String, String> seen = new HashMap<>();

        store.forEachEntry(seen::put);

        assertThat(seen).hasSize(200);
        assertThat(seen).containsEntry("f149", "stamp-f149").containsEntry("g0", "stamp-g0");
    }

    @Test
    void anEmptyStoreFindsNothing() {
        VectorStore store = newStore(rawSchema(DIMENSION));

        assertThat(store.search(new float[][] {new float[DIMENSION], new float[DIMENSION]}, 3))
                .containsExactly(List.of(), List.of());
        assertThat(store.size()).isZero();
    }

    @Test
    void anEmptyStoreOfLongVectorsReopens() {
        // Another process may open a store that its creator has not written to yet.
        VectorStore store = newStore(rawSchema(1280));
        store.close();

        VectorStore again = openAgain(Optional.empty());

        assertThat(again.size()).isZero();
        assertThat(again.schema().dimension()).isEqualTo(1280);
    }

    @Test
    void recallAtTenAgainstExactSearchMeetsTheFloor() {
        int dimension = 32;
        int n = 3000;
        Random random = new Random(15);
        float[][] centers = new float[30][];
        for (int c = 0; c < centers.length; c++) {
            centers[c] = randomVector(random, dimension);
            for (int j = 0; j < dimension; j++) {
                centers[c][j] *= 4;
            }
        }
        float[][] vectors = new float[n][];
        VectorStore store = newStore(rawSchema(dimension));
        for (int from = 0; from < n; from += 500) {
            StoreBatch.Builder batch = StoreBatch.builder();
            for (int i = from; i < from + 500; i++) {
                float[] v = randomVector(random, dimension);
                float[] center = centers[random.nextInt(centers.length)];
                for (int j = 0; j < dimension; j++) {
                    v[j] += center[j];
                }
                vectors[i] = v;
                batch.addPut("v" + i, v, null);
            }
            store.write(batch.build());
        }
        int queries = 100;
        float[][] query = new float[queries][];
        for (int q = 0; q < queries; q++) {
            query[q] = randomVector(random, dimension);
            float[] center = centers[random.nextInt(centers.length)];
            for (int j = 0; j < dimension; j++) {
                query[q][j] += center[j];
            }
        }
        List<List<Match>> found = store.search(query, 10);
        int hits = 0;
        for (int q = 0; q < queries; q++) {
            List<String> truth = bruteForce(vectors, query[q], 10);
            hits += (int) ids(found.get(q)).stream().filter(truth::contains).count();
        }
        double recall = hits / (double) (queries * 10);

        assertThat(recall).isGreaterThanOrEqualTo(recallFloor());
    }

    private static List<String> bruteForce(float[][] vectors, float[] query, int k) {
        Integer[] order = new Integer[vectors.length];
        double[] distance = new double[vectors.length];
        for (int i = 0; i < vectors.length; i++) {
            order[i] = i;
            double sum = 0;
            for (int j = 0; j < query.length; j++) {
                double d = vectors[i][j] - query[j];
                sum += d * d;
            }
            distance[i] = sum;
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(distance[a], distance[b]));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            ids.add("v" + order[i]);
        }
        return ids;
    }
}
