package org.cnnkit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.cnnkit.core.progress.Progress;
import org.cnnkit.core.progress.ProgressTracker;
import org.junit.jupiter.api.Test;

class ConsoleProgressBarTest {

    private final StringWriter text = new StringWriter();
    private final PrintWriter out = new PrintWriter(text);

    @Test
    void theTerminalBarRedrawsOneLineAndEndsItWhenTheTaskFinishes() {
        ConsoleProgressBar bar = ConsoleProgressBar.redrawing(out);
        ProgressTracker tracker = ProgressTracker.start("decoding", 4, bar, Duration.ZERO);
        tracker.advance(2);
        tracker.advance(2);
        tracker.finish();

        String shown = text.toString();
        String[] lines = shown.split(System.lineSeparator(), -1);
        assertThat(lines).hasSize(2); // one line, ended once: the final repeat from finish() is not redrawn
        assertThat(lines[1]).isEmpty();
        String[] frames = lines[0].split("\r");
        assertThat(frames).hasSize(4); // "" before the first \r, then 0/4, 2/4, 4/4
        assertThat(frames[2]).contains("decoding").contains("2/4").contains(" 50%")
                .contains("[############............]");
        assertThat(frames[3]).contains("4/4").contains("100%").doesNotContain("ETA");
    }

    @Test
    void theTerminalBarStartsANewLineForANewTask() {
        ConsoleProgressBar bar = ConsoleProgressBar.redrawing(out);
        bar.onProgress(new Progress("epoch 1", 5, 10, Duration.ofSeconds(1)));
        bar.onProgress(new Progress("evaluating", 1, 10, Duration.ofSeconds(1)));

        String[] lines = text.toString().split(System.lineSeparator());
        assertThat(lines).hasSize(2);
        assertThat(lines[0]).contains("epoch 1");
        assertThat(lines[1]).contains("evaluating").contains("ETA 0:09");
    }

    @Test
    void theLogPrintsPlainLinesAtMostOncePerIntervalAndAlwaysAtTheEnd() {
        ConsoleProgressBar log = ConsoleProgressBar.logging(out, Duration.ofHours(1));
        ProgressTracker tracker = ProgressTracker.start("writing PNG files", 100, log, Duration.ZERO);
        for (int i = 0; i < 100; i++) {
            tracker.advance(1);
        }
        tracker.finish();

        assertThat(text.toString().lines()).hasSize(1);
        assertThat(text.toString()).startsWith("writing PNG files: 100/100 (100%)").doesNotContain("\r");
    }

    @Test
    void theLogWithoutIntervalPrintsEveryStepButNotTheEmptyStart() {
        ConsoleProgressBar log = ConsoleProgressBar.logging(out, Duration.ZERO);
        log.onProgress(new Progress("indexing", 0, 3, Duration.ZERO));
        log.onProgress(new Progress("indexing", 1, 3, Duration.ofSeconds(2)));
        log.onProgress(new Progress("indexing", 3, 3, Duration.ofSeconds(6)));

        assertThat(text.toString().lines()).containsExactly(
                "indexing: 1/3 (33%), 0.5/s, 2.0 s, ETA 0:04",
                "indexing: 3/3 (100%), 0.5/s, 6.0 s");
    }

    @Test
    void anUnknownTotalShowsTheCountAndRate() {
        assertThat(ConsoleProgressBar.barLine(new Progress("scanning", 250, -1, Duration.ofSeconds(2))))
                .isEqualTo("scanning 250 done  125/s");
    }
}
