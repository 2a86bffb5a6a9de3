package org.cnnkit.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PipelinedBatchesTest {

    @Test
    void everyBatchIsConsumedInOrderOnTheCallingThread() {
        List<Integer> consumed = new ArrayList<>();
        Thread caller = Thread.currentThread();
        PipelinedBatches.run(List.of(1, 2, 3, 4, 5), i -> i * 10, p -> {
            assertThat(Thread.currentThread()).isSameAs(caller);
            consumed.add(p);
        });
        assertThat(consumed).containsExactly(10, 20, 30, 40, 50);
    }

    @Test
    void theNextBatchIsPreparedWhileTheCurrentOneIsConsumed() throws InterruptedException {
        CountDownLatch secondPrepared = new CountDownLatch(1);
        List<Boolean> sawSecondPreparedDuringFirst = Collections.synchronizedList(new ArrayList<>());
        PipelinedBatches.run(List.of(1, 2), i -> {
            if (i == 2) {
                secondPrepared.countDown();
            }
            return i;
        }, p -> {
            if (p == 1) {
                try {
                    // the first batch's consumer waits for the second batch to be prepared: only overlap ends this
                    sawSecondPreparedDuringFirst.add(secondPrepared.await(10, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
        });
        assertThat(sawSecondPreparedDuringFirst).containsExactly(true);
    }

    @Test
    void atMostTwoPreparedBatchesExistAtOnce() {
        AtomicInteger alive = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        PipelinedBatches.run(List.of(1, 2, 3, 4, 5, 6, 7, 8), i -> {
            most.accumulateAndGet(alive.incrementAndGet(), Math::max);
            return i;
        }, p -> {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            alive.decrementAndGet(); // the consumed batch is dropped
        });
        assertThat(most.get()).isLessThanOrEqualTo(2);
    }

    @Test
    void aFailureWhilePreparingIsRethrownAfterTheBatchesBeforeIt() {
        List<Integer> consumed = new ArrayList<>();
        assertThatThrownBy(() -> PipelinedBatches.run(List.of(1, 2, 3), i -> {
            if (i == 2) {
                throw new IllegalArgumentException("bad batch 2");
            }
            return i;
        }, consumed::add)).isInstanceOf(IllegalArgumentException.class).hasMessage("bad batch 2");
        assertThat(consumed).containsExactly(1);
    }
}
