package org.cnnkit.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WriterLockTest {

    @TempDir
    Path dir;

    @Test
    void secondWriterTimesOutWithAMessageNamingTheLock() throws Exception {
        Path target = dir.resolve("photos.cfi");
        try (WriterLock first = WriterLock.acquire(target, Duration.ofSeconds(1))) {
            assertThat(first.isHeld()).isTrue();
            assertThat(first.lockFile()).isEqualTo(dir.resolve("photos.cfi.lock"));
            CompletableFuture<Void> second = CompletableFuture.runAsync(
                    () -> WriterLock.acquire(target, Duration.ofMillis(200)).close());
            assertThatThrownBy(() -> second.get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(WriterLock.LockTimeoutException.class)
                    .cause().hasMessageContaining("photos.cfi.lock")
                    .hasMessageContaining("pid " + ProcessHandle.current().pid())
                    .hasMessageContaining("--lock-timeout");
        }
    }

    @Test
    void aWaitingWriterGetsTheLockOnceTheFirstReleasesIt() throws Exception {
        Path target = dir.resolve("index.cfi");
        WriterLock first = WriterLock.acquire(target, Duration.ZERO);
        CompletableFuture<Boolean> second = CompletableFuture.supplyAsync(() -> {
            try (WriterLock lock = WriterLock.acquire(target, Duration.ofSeconds(30))) {
                return lock.isHeld();
            }
        });
        Thread.sleep(100);
        assertThat(second).isNotDone();
        first.close();
        assertThat(second.get(30, TimeUnit.SECONDS)).isTrue();
        assertThat(first.isHeld()).isFalse();
        assertThat(Files.exists(WriterLock.lockFileOf(target))).isTrue();
    }

    @Test
    void closingTwiceIsHarmlessAndTheLockCanBeTakenAgain() {
        Path target = dir.resolve("sub/folder/model.cnnkit");
        WriterLock lock = WriterLock.acquire(target, Duration.ZERO);
        lock.close();
        lock.close();
        try (WriterLock again = WriterLock.acquire(target, Duration.ZERO)) {
            assertThat(again.isHeld()).isTrue();
        }
    }

    @Test
    void aNegativeTimeoutIsRefused() {
        assertThatThrownBy(() -> WriterLock.acquire(dir.resolve("x"), Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
    }
}
