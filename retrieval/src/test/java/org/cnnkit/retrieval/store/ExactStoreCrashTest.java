package org.cnnkit.retrieval.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The exact store survives a kill -9 in the middle of a write: each batch wholly there or wholly absent. */
class ExactStoreCrashTest {

    @TempDir
    Path folder;

    @Test
    void aWriterKilledMidWriteLeavesWholeBatchesOnly() throws Exception {
        StoreSpec spec = StoreSpec.parse("exact:" + folder.resolve("crash.cfi"));

        StoreCrashHarness.Outcome outcome = new StoreCrashHarness(spec, Map.of(), folder).killDuringWrites(8);

        assertThat(outcome.wholeBatches()).isBetween(outcome.reportedCommitted(), outcome.reportedCommitted() + 1);
        // Leftover temporary files of the killed save are the only debris; the store file itself is whole.
        assertThat(folder.resolve("crash.cfi")).exists();
    }
}
