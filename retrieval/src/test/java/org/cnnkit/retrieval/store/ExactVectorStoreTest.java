package org.cnnkit.retrieval.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.retrieval.FeatureIndex;
import org.cnnkit.retrieval.Match;
import org.cnnkit.retrieval.Metric;
import org.cnnkit.retrieval.VectorTransform;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExactVectorStoreTest extends VectorStoreContractTest {

    @TempDir
    Path folder;

    private final AtomicBoolean failNext = new AtomicBoolean();
    private Path file;
    private int created;

    @Override
    protected VectorStore create(StoreSchema schema) {
        file = folder.resolve("store-" + (created++) + ".cfi");
        return ExactVectorStore.open(file, StoreOptions.builder().optSchemaForNewStore(schema).build(), this::save);
    }

    @Override
    protected VectorStore reopen(Optional<StoreSchema> schemaForNewStore) {
        StoreOptions.Builder options = StoreOptions.builder();
        schemaForNewStore.ifPresent(options::optSchemaForNewStore);
        return ExactVectorStore.open(file, options.build(), this::save);
    }

    @Override
    protected double recallFloor() {
        return 1.0;
    }

    @Override
    protected boolean failNextWrite(VectorStore store) {
        failNext.set(true);
        return true;
    }

    /** Saves like the store does, failing once when asked (as a full disk would). */
    private void save(FeatureIndex index, Path path) {
        if (failNext.getAndSet(false)) {
            throw new CnnkitException("injected failure: no space left on device");
        }
        index.save(path);
    }

    @Test
    void aFormatOneIndexWrittenByEarlierVersionsOpens() throws IOException {
        Path fixture = folder.resolve("format1.cfi");
        try (InputStream in = getClass().getResourceAsStream("format1-small.cfi")) {
            Files.copy(in, fixture);
        }

        try (ExactVectorStore store = ExactVectorStore.open(fixture, StoreOptions.openExisting())) {
            assertThat(store.size()).isEqualTo(3);
            assertThat(store.schema().metric()).isEqualTo(Metric.EUCLIDEAN);
            assertThat(store.schema().transforms()).containsExactly(VectorTransform.center());
            assertThat(store.schema().identity().orElseThrow().model()).isEqualTo("test/fixture");
            assertThat(store.schema().properties()).containsEntry("note", "written by format 1");
            assertThat(store.stamp("/photos/a.jpg")).contains("10:1000");
            List<Match> matches = store.search(new float[][] {{1, 0, 0, 0}}, 3).get(0);
            assertThat(matches.get(0).id()).isEqualTo("/photos/a.jpg");
            assertThat(store.pipeline()).isPresent();
        }
    }

    @Test
    void twoStoresOnOneFileKeepEachOthersEntries() {
        VectorStore first = create(rawSchema(DIMENSION));
        VectorStore second = reopen(Optional.empty());

        first.write(StoreBatch.builder().addPut("a/1.jpg", vector(1), null).build());
        second.write(StoreBatch.builder().addPut("b/1.jpg", vector(2), null).build());
        first.write(StoreBatch.builder().addPut("a/2.jpg", vector(3), null).build());

        assertThat(first.size()).isEqualTo(3);
        try (VectorStore third = reopen(Optional.empty())) {
            assertThat(third.size()).isEqualTo(3);
            assertThat(third.contains("b/1.jpg")).isTrue();
        }
        first.close();
        second.close();
    }

    @Test
    void openingAMissingStoreWithoutASchemaSaysSo() {
        Path missing = folder.resolve("missing.cfi");

        assertThatThrownBy(() -> ExactVectorStore.open(missing, StoreOptions.openExisting()))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("no exact store at")
                .hasMessageContaining("missing.cfi");
        assertThat(missing).doesNotExist();
    }

    @Test
    void theExactStoreTakesNoParameters() {
        StoreOptions options = StoreOptions.builder().optSchemaForNewStore(rawSchema(DIMENSION))
                .addParameter("m", "16").build();

        assertThatThrownBy(() -> VectorStores.open(StoreSpec.parse("exact:" + folder.resolve("p.cfi")), options))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("no parameter 'm'");
    }

    @Test
    void refitRefitsTheTransformsOnTheWholeCollectionAndSavesThem() {
        StoreSchema schema = new StoreSchema(DIMENSION, Metric.EUCLIDEAN, List.of(VectorTransform.pca(4)),
                Optional.empty(), java.util.Map.of());
        VectorStore store = create(schema);
        store.write(StoreBatch.builder().addPut("one", vector(1), null).addPut("two", vector(2), null).build());
        assertThat(store.pipeline().orElseThrow().outputDimension()).isEqualTo(1);
        StoreBatch.Builder more = StoreBatch.builder();
        for (int i = 0; i < 20; i++) {
            more.addPut("more" + i, vector(10 + i), null);
        }
        store.write(more.build());

        assertThat(store.refit()).isTrue();

        assertThat(store.pipeline().orElseThrow().outputDimension()).isEqualTo(4);
        try (VectorStore again = reopen(Optional.empty())) {
            assertThat(again.pipeline().orElseThrow().outputDimension()).isEqualTo(4);
        }
    }

    private static float[] vector(int seed) {
        java.util.Random random = new java.util.Random(seed);
        float[] v = new float[DIMENSION];
        for (int j = 0; j < DIMENSION; j++) {
            v[j] = (float) random.nextGaussian();
        }
        return v;
    }
}
