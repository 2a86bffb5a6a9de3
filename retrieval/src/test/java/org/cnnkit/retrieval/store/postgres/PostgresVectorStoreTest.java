package org.cnnkit.retrieval.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cnnkit.retrieval.store.StoreCrashHarness;
import org.cnnkit.retrieval.store.StoreOptions;
import org.cnnkit.retrieval.store.StoreSchema;
import org.cnnkit.retrieval.store.StoreSpec;
import org.cnnkit.retrieval.store.VectorStore;
import org.cnnkit.retrieval.store.VectorStoreContractTest;
import org.cnnkit.retrieval.store.VectorStores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PostgreSQL store passes the contract every store passes, against a real server with pgvector (see
 * {@link PostgresTestServer}), and survives a writer killed with kill -9 in the middle of a batch.
 */
class PostgresVectorStoreTest extends VectorStoreContractTest {

    private final List<String> collections = new ArrayList<>();
    private String url;
    private String collection;

    @BeforeEach
    void server() {
        url = PostgresTestServer.url();
    }

    @AfterEach
    void dropCollections() {
        collections.forEach(PostgresTestServer::drop);
    }

    private StoreSpec spec() {
        return new StoreSpec(StoreSpec.Kind.POSTGRES, url);
    }

    @Override
    protected VectorStore create(StoreSchema schema) {
        collection = PostgresTestServer.newCollection("contract");
        collections.add(collection);
        return VectorStores.open(spec(), StoreOptions.builder().addParameter("collection", collection)
                .optSchemaForNewStore(schema).build());
    }

    @Override
    protected VectorStore reopen(Optional<StoreSchema> schemaForNewStore) {
        StoreOptions.Builder options = StoreOptions.builder().addParameter("collection", collection);
        schemaForNewStore.ifPresent(options::optSchemaForNewStore);
        return VectorStores.open(spec(), options.build());
    }

    /** HNSW with pgvector's build defaults and ef_search 100 on 3,000 clustered 32-d vectors. */
    @Override
    protected double recallFloor() {
        return 0.95;
    }

    /** A trigger makes the next insert fail inside the database, after the batch's deletes ran. */
    @Override
    protected boolean failNextWrite(VectorStore store) {
        PostgresTestServer.failNextInsert(((PostgresVectorStore) store).collection());
        return true;
    }

    @Test
    void aWriterKilledMidBatchLeavesWholeBatchesOnly(@TempDir Path folder) throws Exception {
        String name = PostgresTestServer.newCollection("crash");
        collections.add(name);

        StoreCrashHarness.Outcome outcome = new StoreCrashHarness(spec(), Map.of("collection", name), folder)
                .killDuringWrites(6);

        assertThat(outcome.wholeBatches()).isBetween(outcome.reportedCommitted(), outcome.reportedCommitted() + 1);
    }
}
