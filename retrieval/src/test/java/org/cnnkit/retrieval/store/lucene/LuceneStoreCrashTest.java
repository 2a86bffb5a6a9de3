package org.cnnkit.retrieval.store.lucene;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.cnnkit.retrieval.store.StoreCrashHarness;
import org.cnnkit.retrieval.store.StoreSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lucene store survives a kill -9 in the middle of a write (the shared {@link StoreCrashHarness}): it reopens,
 * every batch is wholly there or wholly absent, and every batch the child reported written is there; with small
 * batches, and with batches large enough to be bulk loads ({@link BulkLoad}).
 */
class LuceneStoreCrashTest {

    @TempDir
    Path folder;

    @Test
    void aWriterKilledMidWriteLeavesWholeBatchesOnly() throws Exception {
        StoreSpec spec = StoreSpec.parse("lucene:" + folder.resolve("crash-index"));

        StoreCrashHarness.Outcome outcome = new StoreCrashHarness(spec, Map.of(), folder).killDuringWrites(8);

        assertThat(outcome.wholeBatches()).isBetween(outcome.reportedCommitted(), outcome.reportedCommitted() + 1);
    }

    @Test
    void aWriterKilledInTheMiddleOfBulkLoadsLeavesWholeBatchesOnly() throws Exception {
        // batches large enough to be written as bulk loads: graph-free segments, then one merge before the commit
        StoreSpec spec = StoreSpec.parse("lucene:" + folder.resolve("bulk-crash-index"));

        StoreCrashHarness.Outcome outcome = new StoreCrashHarness(spec, Map.of(), folder)
                .killDuringWrites(2, BulkLoad.MIN_PUTS);

        assertThat(outcome.wholeBatches()).isBetween(outcome.reportedCommitted(), outcome.reportedCommitted() + 1);
    }
}
