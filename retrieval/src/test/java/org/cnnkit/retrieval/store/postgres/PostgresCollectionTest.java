package org.cnnkit.retrieval.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.retrieval.ExtractorIdentity;
import org.cnnkit.retrieval.Match;
import org.cnnkit.retrieval.Metric;
import org.cnnkit.retrieval.VectorTransform;
import org.cnnkit.retrieval.store.StoreBatch;
import org.cnnkit.retrieval.store.StoreNotFoundException;
import org.cnnkit.retrieval.store.StoreOptions;
import org.cnnkit.retrieval.store.StoreSchema;
import org.cnnkit.retrieval.store.StoreSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the PostgreSQL store does beyond the contract every store passes: pgvector's column types and limits, its
 * distances, the row lock between writers, the index actually serving searches, and the password kept out of sight.
 */
class PostgresCollectionTest {

    private final List<String> collections = new ArrayList<>();
    private final List<PostgresVectorStore> stores = new ArrayList<>();
    private String url;

    @BeforeEach
    void server() {
        url = PostgresTestServer.url();
    }

    @AfterEach
    void cleanUp() {
        stores.forEach(PostgresVectorStore::close);
        collections.forEach(PostgresTestServer::drop);
    }

    private String collection(String purpose) {
        String name = PostgresTestServer.newCollection(purpose);
        collections.add(name);
        return name;
    }

    private PostgresVectorStore open(String collection, StoreSchema schema, String... parameters) {
        StoreOptions.Builder options = StoreOptions.builder().addParameter("collection", collection);
        if (schema != null) {
            options.optSchemaForNewStore(schema);
        }
        for (int i = 0; i < parameters.length; i += 2) {
            options.addParameter(parameters[i], parameters[i + 1]);
        }
        PostgresVectorStore store = PostgresVectorStore.open(new StoreSpec(StoreSpec.Kind.POSTGRES, url),
                options.build());
        stores.add(store);
        return store;
    }

    private static ExtractorIdentity identity(String model, int dimension) {
        return new ExtractorIdentity(model, "0123456789abcdef", InputShape.rgb(16), Preprocessing.RESCALE, dimension);
    }

    private static StoreSchema schema(int dimension, Metric metric, VectorTransform... transforms) {
        return new StoreSchema(dimension, metric, List.of(transforms), Optional.of(identity("test/pg", dimension)),
                Map.of());
    }

    private static float[] gaussian(Random random, int dimension) {
        float[] v = new float[dimension];
        for (int j = 0; j < dimension; j++) {
            v[j] = (float) random.nextGaussian();
        }
        return v;
    }

    private static StoreBatch puts(String prefix, int count, int dimension, Random random) {
        StoreBatch.Builder batch = StoreBatch.builder();
        for (int i = 0; i < count; i++) {
            batch.addPut(prefix + i, gaussian(random, dimension), null);
        }
        return batch.build();
    }

    private static String columnType(String collection) throws Exception {
        try (Connection connection = PostgresTestServer.connect();
             PreparedStatement statement = connection.prepareStatement("SELECT format_type(atttypid, atttypmod) "
                     + "FROM pg_attribute WHERE attrelid = to_regclass(?) AND attname = 'embedding'")) {
            statement.setString(1, '"' + collection + '"');
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getString(1);
            }
        }
    }

    @Test
    void distancesAreTheEuclideanDistanceAndOneMinusTheCosine() {
        Random random = new Random(1);
        float[] a = gaussian(random, 8);
        float[] b = gaussian(random, 8);
        double dot = 0;
        double aa = 0;
        double bb = 0;
        double squared = 0;
        for (int j = 0; j < 8; j++) {
            dot += a[j] * b[j];
            aa += a[j] * a[j];
            bb += b[j] * b[j];
            squared += (a[j] - b[j]) * (a[j] - b[j]);
        }
        PostgresVectorStore euclidean = open(collection("l2"), schema(8, Metric.EUCLIDEAN));
        PostgresVectorStore cosine = open(collection("cos"), schema(8, Metric.COSINE));
        euclidean.write(StoreBatch.builder().addPut("b", b, null).build());
        cosine.write(StoreBatch.builder().addPut("b", b, null).build());

        assertThat((double) euclidean.search(new float[][] {a}, 1).get(0).get(0).distance())
                .isCloseTo(Math.sqrt(squared), within(1e-5));
        assertThat((double) cosine.search(new float[][] {a}, 1).get(0).get(0).distance())
                .isCloseTo(1 - dot / Math.sqrt(aa * bb), within(1e-5));
    }

    @Test
    void vectorsOver2000DimensionsAreStoredAsHalfvecAndFound() throws Exception {
        String name = collection("half");
        PostgresVectorStore store = open(name, schema(2_500, Metric.EUCLIDEAN));
        Random random = new Random(2);
        StoreBatch first = puts("h", 40, 2_500, random);
        store.write(first);
        store.write(puts("i", 10, 2_500, random));

        assertThat(columnType(name)).isEqualTo("halfvec(2500)");
        assertThat(store.size()).isEqualTo(50);
        float[] query = first.puts().get(7).vector();
        List<Match> matches = store.search(new float[][] {query}, 3).get(0);
        assertThat(matches.get(0).id()).isEqualTo("h7");
        assertThat(matches.get(0).distance()).isLessThan(0.05f);
        assertThat(store.searchById("h7", 3)).extracting(Match::id).doesNotContain("h7").hasSize(3);
    }

    @Test
    void vectorsOver4000DimensionsAreRefusedUnlessAPcaReducesThem() {
        assertThatThrownBy(() -> open(collection("vgg"), schema(4_096, Metric.EUCLIDEAN)))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("4096-d").hasMessageContaining("PCA");

        PostgresVectorStore reduced = open(collection("vggpca"), schema(4_096, Metric.EUCLIDEAN,
                VectorTransform.pca(512)));
        assertThat(reduced.schema().transforms()).containsExactly(VectorTransform.pca(512));
    }

    @Test
    void aPcaFittedOnTheFirstBatchSetsTheColumnDimension() throws Exception {
        String name = collection("pca");
        PostgresVectorStore store = open(name, schema(64, Metric.EUCLIDEAN, VectorTransform.pca(12)));
        store.write(puts("p", 60, 64, new Random(3)));

        assertThat(columnType(name)).isEqualTo("vector(12)");
        assertThat(store.pipeline().orElseThrow().outputDimension()).isEqualTo(12);
        assertThat(store.searchById("p3", 5)).hasSize(5);
    }

    @Test
    void searchesUseTheHnswIndex() throws Exception {
        String name = collection("plan");
        PostgresVectorStore store = open(name, schema(16, Metric.COSINE));
        store.write(puts("x", 200, 16, new Random(4)));

        try (Connection connection = PostgresTestServer.connect(); Statement statement = connection.createStatement()) {
            statement.execute("SET enable_seqscan = off");
            StringBuilder plan = new StringBuilder();
            String vector = java.util.Arrays.toString(gaussian(new Random(5), 16)).replace(" ", "");
            try (ResultSet rows = statement.executeQuery("EXPLAIN SELECT id, embedding <=> '" + vector
                    + "' AS distance FROM \"" + name + "\" ORDER BY distance LIMIT 5")) {
                while (rows.next()) {
                    plan.append(rows.getString(1)).append('\n');
                }
            }
            assertThat(plan.toString()).contains("Index Scan using " + name + "_embedding_hnsw");
        }
    }

    @Test
    void aSearchsSettingsApplyToItsOwnQueryOnlyAndLeaveThePooledConnectionAsItWas() throws Exception {
        PostgresVectorStore store = open(collection("oneTrip"), schema(16, Metric.EUCLIDEAN), "ef-search", "37");
        store.write(puts("s", 50, 16, new Random(8)));

        assertThat(store.search(new float[][] {gaussian(new Random(9), 16)}, 5).get(0)).hasSize(5);

        Connection pooled = store.pool().take();
        try (Statement statement = pooled.createStatement();
             ResultSet rows = statement.executeQuery("SELECT current_setting('hnsw.ef_search'), "
                     + "current_setting('hnsw.iterative_scan')")) {
            assertThat(pooled.getAutoCommit()).isFalse();
            assertThat(rows.next()).isTrue();
            assertThat(rows.getString(1)).isEqualTo("40");
            assertThat(rows.getString(2)).isEqualTo("off");
            pooled.commit();
        } finally {
            store.pool().release(pooled);
        }
    }

    @Test
    void settingsOfATwoStatementStringSentInAutoCommitApplyToItsSecondStatement() throws Exception {
        try (Connection connection = PostgresTestServer.connect()) {
            connection.setAutoCommit(true);
            try (PreparedStatement statement = connection.prepareStatement("SELECT set_config('hnsw.ef_search', ?, "
                    + "true); SELECT current_setting('hnsw.ef_search')")) {
                statement.setString(1, "123");
                statement.execute();
                assertThat(statement.getMoreResults()).isTrue();
                try (ResultSet rows = statement.getResultSet()) {
                    assertThat(rows.next()).isTrue();
                    assertThat(rows.getString(1)).isEqualTo("123");
                }
            }
            try (Statement statement = connection.createStatement();
                 ResultSet rows = statement.executeQuery("SELECT current_setting('hnsw.ef_search')")) {
                assertThat(rows.next()).isTrue();
                assertThat(rows.getString(1)).isNotEqualTo("123");
            }
        }
    }

    @Test
    void moreMatchesThanEfSearchStillComeBack() {
        PostgresVectorStore store = open(collection("ef"), schema(16, Metric.EUCLIDEAN), "ef-search", "10");
        store.write(puts("e", 300, 16, new Random(6)));

        List<Match> matches = store.search(new float[][] {gaussian(new Random(7), 16)}, 60).get(0);

        assertThat(matches).hasSize(60);
        assertThat(matches).isSortedAccordingTo((x, y) -> Float.compare(x.distance(), y.distance()));
    }

    @Test
    void twoStoresOnOneCollectionBothKeepTheirWrites() throws Exception {
        String name = collection("two");
        PostgresVectorStore first = open(name, schema(16, Metric.EUCLIDEAN));
        PostgresVectorStore second = open(name, null);
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> writers = new ArrayList<>();
        for (PostgresVectorStore store : List.of(first, second)) {
            String prefix = store == first ? "a" : "b";
            writers.add(new Thread(() -> {
                try {
                    Random random = new Random(prefix.hashCode());
                    for (int b = 0; b < 15; b++) {
                        store.write(puts(prefix + b + "-", 20, 16, random));
                    }
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
        }
        writers.forEach(Thread::start);
        for (Thread writer : writers) {
            writer.join();
        }

        assertThat(failures).isEmpty();
        assertThat(first.size()).isEqualTo(600);
        assertThat(second.size()).isEqualTo(600);
        assertThat(second.contains("a14-19")).isTrue();
        assertThat(first.pipeline()).isPresent();
        assertThat(second.pipeline().orElseThrow().toBytes()).isEqualTo(first.pipeline().orElseThrow().toBytes());
    }

    @Test
    void aWriterGivesUpAfterTheLockTimeoutWhileAnotherHoldsTheCollection() throws Exception {
        String name = collection("lock");
        PostgresVectorStore store = PostgresVectorStore.open(new StoreSpec(StoreSpec.Kind.POSTGRES, url),
                StoreOptions.builder().addParameter("collection", name).optLockTimeout(Duration.ofMillis(300))
                        .optSchemaForNewStore(schema(16, Metric.EUCLIDEAN)).build());
        stores.add(store);
        store.write(puts("k", 5, 16, new Random(8)));

        try (Connection other = PostgresTestServer.connect()) {
            other.setAutoCommit(false);
            try (PreparedStatement lock = other.prepareStatement("SELECT 1 FROM " + CollectionCatalog.TABLE
                    + " WHERE name = ? FOR UPDATE")) {
                lock.setString(1, name);
                lock.executeQuery().close();
            }
            assertThatThrownBy(() -> store.write(puts("late", 3, 16, new Random(9))))
                    .isInstanceOf(CnnkitException.class).hasMessageContaining("another writer")
                    .hasMessageContaining(name);
            assertThat(store.searchById("k1", 2)).hasSize(2);
            other.rollback();
        }
        store.write(puts("late", 3, 16, new Random(9)));
        assertThat(store.size()).isEqualTo(8);
    }

    @Test
    void aFailureInsideTheDatabaseLeavesNothingOfTheBatch() throws Exception {
        String name = collection("fail");
        PostgresVectorStore store = open(name, schema(16, Metric.EUCLIDEAN));
        store.write(puts("kept", 5, 16, new Random(10)));
        PostgresTestServer.failNextInsert(name);

        StoreBatch batch = StoreBatch.builder().addRemove("kept0")
                .addPut("lost", gaussian(new Random(11), 16), null).build();
        assertThatThrownBy(() -> store.write(batch)).isInstanceOf(CnnkitException.class)
                .hasMessageContaining("injected failure").hasMessageContaining("nothing of the batch");

        assertThat(store.contains("kept0")).isTrue();
        assertThat(store.contains("lost")).isFalse();
        store.write(batch);
        assertThat(store.contains("lost")).isTrue();
        assertThat(store.contains("kept0")).isFalse();
    }

    @Test
    void aStoreOpenedBeforeTheFirstWriteSeesAnotherStoresVectors() {
        String name = collection("late");
        PostgresVectorStore writer = open(name, schema(16, Metric.EUCLIDEAN, VectorTransform.center()));
        PostgresVectorStore reader = open(name, null);
        assertThat(reader.size()).isZero();
        assertThat(reader.pipeline()).isEmpty();

        writer.write(puts("w", 10, 16, new Random(12)));

        assertThat(reader.size()).isEqualTo(10);
        assertThat(reader.pipeline()).isPresent();
        assertThat(reader.searchById("w2", 3)).hasSize(3);
    }

    @Test
    void fixedIndexParametersCannotChangeLater() {
        String name = collection("fixed");
        open(name, schema(16, Metric.EUCLIDEAN), "m", "8", "ef-construction", "40");

        assertThatThrownBy(() -> open(name, schema(16, Metric.EUCLIDEAN), "m", "24"))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("m=8").hasMessageContaining("fixed");
        assertThat(open(name, null, "ef-search", "20").schema().dimension()).isEqualTo(16);
    }

    @Test
    void aTableThatIsNotACollectionIsLeftAlone() throws Exception {
        String name = collection("foreign");
        try (Connection connection = PostgresTestServer.connect(); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE \"" + name + "\" (x integer)");
        }

        assertThatThrownBy(() -> open(name, schema(16, Metric.EUCLIDEAN)))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("not a cnnkit collection");
    }

    @Test
    void aMissingCollectionIsNamed() {
        String name = collection("absent");

        assertThatThrownBy(() -> open(name, null)).isInstanceOf(StoreNotFoundException.class)
                .hasMessageContaining("no collection '" + name + "'");
    }

    @Test
    void thePasswordNeverShows(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("pw");
        Files.writeString(file, "pw-not-to-be-seen\n");
        String name = collection("secret");
        PostgresVectorStore store = open(name, schema(16, Metric.EUCLIDEAN), "password-file", file.toString());
        store.write(puts("s", 3, 16, new Random(13)));
        PostgresTestServer.drop(name);

        assertThat(store.toString()).doesNotContain("pw-not-to-be-seen").contains(name);
        assertThatThrownBy(() -> store.searchById("s1", 2)).isInstanceOf(CnnkitException.class)
                .hasMessageNotContaining("pw-not-to-be-seen");
    }
}
