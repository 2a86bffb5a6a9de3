package org.cnnkit.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.Callable;
import org.cnnkit.core.CnnkitException;
import org.junit.jupiter.api.Test;
import org.nd4j.nativeblas.NativeOps;
import org.nd4j.nativeblas.NativeOpsHolder;

class NativeWorkersTest {

    @Test
    void workerThreadsRunNativeOpsSingleThreadedWithoutChangingTheCaller() {
        NativeRuntime.ensureConfigured();
        NativeOps ops = NativeOpsHolder.getInstance().getDeviceNativeOps();
        int callerBefore = ops.ompGetMaxThreads();
        NativeWorkers workers = NativeWorkers.create(2, "test-worker");

        List<int[]> seen = workers.runAll(List.<Callable<int[]>>of(
                () -> new int[] {ops.ompGetMaxThreads(), Thread.currentThread().isDaemon() ? 1 : 0},
                () -> new int[] {ops.ompGetMaxThreads(), Thread.currentThread().isDaemon() ? 1 : 0}), "checking");

        for (int[] worker : seen) {
            assertThat(worker[0]).isEqualTo(1);
            assertThat(worker[1]).as("daemon").isEqualTo(1);
        }
        assertThat(ops.ompGetMaxThreads()).isEqualTo(callerBefore);
    }

    @Test
    void resultsComeInTaskOrderAndTaskExceptionsComeOutAsTheyAre() {
        NativeWorkers workers = NativeWorkers.create(2, "test-worker");

        assertThat(workers.runAll(List.<Callable<Integer>>of(() -> 1, () -> 2, () -> 3), "counting"))
                .containsExactly(1, 2, 3);
        assertThatThrownBy(() -> workers.runAll(List.<Callable<Integer>>of(() -> {
            throw new IllegalStateException("bad task");
        }), "failing")).isInstanceOf(IllegalStateException.class).hasMessage("bad task");
        assertThatThrownBy(() -> workers.runAll(List.<Callable<Integer>>of(() -> {
            throw new java.io.IOException("disk");
        }), "reading")).isInstanceOf(CnnkitException.class).hasMessageContaining("reading failed");
    }

    @Test
    void oneTaskRunsOnAWorkerWithSingleThreadedNativeOps() {
        NativeRuntime.ensureConfigured();
        NativeOps ops = NativeOpsHolder.getInstance().getDeviceNativeOps();
        NativeWorkers worker = NativeWorkers.create(1, "test-single");

        assertThat(worker.run(() -> Thread.currentThread().getName() + " " + ops.ompGetMaxThreads(), "naming"))
                .isEqualTo("test-single-1 1");
        assertThatThrownBy(() -> worker.run(() -> {
            throw new IllegalArgumentException("bad input");
        }, "checking")).isInstanceOf(IllegalArgumentException.class).hasMessage("bad input");
    }
}
