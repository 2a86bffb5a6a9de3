package org.cnnkit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.retrieval.store.StoreSpec;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class StoreSelectionTest {

    @Test
    void durationsAreReadWithAUnitOrInIso8601() {
        assertThat(StoreSelection.parseDuration("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(StoreSelection.parseDuration("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(StoreSelection.parseDuration("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(StoreSelection.parseDuration("2h")).isEqualTo(Duration.ofHours(2));
        assertThat(StoreSelection.parseDuration("PT1M30S")).isEqualTo(Duration.ofSeconds(90));
        assertThatThrownBy(() -> StoreSelection.parseDuration("five minutes")).isInstanceOf(CnnkitException.class)
                .hasMessageContaining("five minutes").hasMessageContaining("30s");
        assertThatThrownBy(() -> StoreSelection.parseDuration("-5s")).isInstanceOf(CnnkitException.class)
                .hasMessageContaining("negative");
    }

    @Test
    void theFileOptionIsTheShortFormOfAnExactSpecAndTheOptionsBecomeStoreParameters() {
        StoreSelection given = parse("--store", "lucene:idx", "--store-option", "m=16", "--store-option", "beam-width=100");
        assertThat(given.spec(null, "--index")).contains(StoreSpec.parse("lucene:idx"));
        assertThat(given.options().build().parameters()).containsEntry("m", "16").containsEntry("beam-width", "100");

        StoreSelection none = parse();
        assertThat(none.spec(Path.of("x.cfi"), "--index")).contains(new StoreSpec(StoreSpec.Kind.EXACT, "x.cfi"));
        assertThat(none.spec(null, "--index")).isEmpty();

        assertThatThrownBy(() -> given.spec(Path.of("x.cfi"), "--index")).isInstanceOf(CnnkitException.class)
                .hasMessageContaining("either --store or --index");
    }

    private static StoreSelection parse(String... args) {
        StoreSelection selection = new StoreSelection();
        new CommandLine(selection).parseArgs(args);
        return selection;
    }
}
