package org.cnnkit.core.progress;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProgressTrackerTest {

    @Test
    void reportsStartThrottlesUpdatesAndAlwaysReportsTheEnd() {
        List<Progress> seen = new ArrayList<>();
        ProgressTracker tracker = ProgressTracker.start("decode", 1000, seen::add, Duration.ofHours(1));
        for (int i = 0; i < 1000; i++) {
            tracker.advance(1);
        }
        tracker.finish();
        assertThat(seen).hasSize(2);
        assertThat(seen.get(0).done()).isZero();
        assertThat(seen.get(1).done()).isEqualTo(1000);
        assertThat(seen.get(1).finished()).isTrue();
        assertThat(seen.get(1).task()).isEqualTo("decode");
    }

    @Test
    void zeroIntervalReportsEveryStep() {
        List<Progress> seen = new ArrayList<>();
        ProgressTracker tracker = ProgressTracker.start("x", 3, seen::add, Duration.ZERO);
        tracker.advance(1);
        tracker.advance(1);
        tracker.advance(1);
        assertThat(seen).extracting(Progress::done).containsExactly(0L, 1L, 2L, 3L);
    }

    @Test
    void theEndIsReportedOnceWhenTheLastAdvanceAlreadyReportedIt() {
        List<Progress> seen = new ArrayList<>();
        ProgressTracker tracker = ProgressTracker.start("x", 2, seen::add, Duration.ZERO);
        tracker.advance(2);
        tracker.finish();
        assertThat(seen).extracting(Progress::done).containsExactly(0L, 2L);

        List<Progress> unknownTotal = new ArrayList<>();
        ProgressTracker open = ProgressTracker.start("y", -1, unknownTotal::add, Duration.ZERO);
        open.advance(3);
        open.finish();
        assertThat(unknownTotal).extracting(Progress::done).containsExactly(0L, 3L, 3L); // only finish() ends it
    }

    @Test
    void progressDerivesRateFractionAndEta() {
        Progress p = new Progress("t", 50, 200, Duration.ofSeconds(10));
        assertThat(p.fraction()).isEqualTo(0.25);
        assertThat(p.ratePerSecond()).isEqualTo(5.0);
        assertThat(p.eta()).contains(Duration.ofSeconds(30));
        assertThat(new Progress("t", 5, -1, Duration.ofSeconds(1)).eta()).isEmpty();
    }
}
