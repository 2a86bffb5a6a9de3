package org.cnnkit.core.io;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.cnnkit.core.CnnkitException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One writer at a time for a file that is read, changed and written back, across threads and processes.
 *
 * <p>The lock is an operating-system lock ({@link FileChannel#tryLock()}) on a small companion file beside the
 * target, {@code NAME.lock} for a target {@code NAME}, like Lucene's native {@code write.lock}. Take it <em>before</em>
 * reading the target for an update and release it (close) only after the new target is in place, so that the update
 * is applied to the state read under the lock and a second writer sees the first one's changes. Readers never take
 * it: the target itself is replaced atomically (see {@link AtomicFiles}), so a reader sees the old or the new file.
 *
 * <p>The operating system releases the lock when its process ends, also when it is killed, so a lock left by a
 * killed process never blocks the next run. The companion file itself stays (deleting it would let two writers
 * lock two different files); it records the holder's process id and start time, for the waiting message only.
 *
 * <pre>{@code
 * try (WriterLock lock = WriterLock.acquire(indexFile, Duration.ofMinutes(5))) {
 *     FeatureIndex index = FeatureIndex.open(indexFile);   // read under the lock
 *     ...                                                  // modify
 *     index.save(indexFile);                               // atomic replace, still under the lock
 * }
 * }</pre>
 */
public final class WriterLock implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WriterLock.class);
    private static final long FIRST_WAIT_MILLIS = 20;
    private static final long LONGEST_WAIT_MILLIS = 500;

    private final Path lockFile;
    private final FileChannel channel;
    private final FileLock lock;

    private WriterLock(Path lockFile, FileChannel channel, FileLock lock) {
        this.lockFile = lockFile;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Returns the companion lock file of a target: {@code NAME.lock} in the target's folder.
     *
     * @param target the file (or folder) that is updated under the lock
     * @return the lock file's path
     */
    public static Path lockFileOf(Path target) {
        Path absolute = target.toAbsolutePath().normalize();
        return absolute.resolveSibling(absolute.getFileName() + ".lock");
    }

    /**
     * Takes the writer lock of a target, waiting up to {@code timeout} while another thread or process holds it.
     * The first time it has to wait it logs, at INFO, which lock it waits for.
     *
     * @param target the file (or folder) about to be updated; its folder is created if missing
     * @param timeout how long to wait at the most; {@link Duration#ZERO} tries once
     * @return the held lock; close it after the new target is in place
     * @throws LockTimeoutException if the lock is still held by another writer after {@code timeout}
     * @throws CnnkitException if the lock file cannot be created or locked (for example a read-only folder)
     */
    public static WriterLock acquire(Path target, Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("lock timeout must not be negative, got " + timeout);
        }
        Path lockFile = lockFileOf(target);
        FileChannel channel;
        try {
            Files.createDirectories(lockFile.getParent());
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new CnnkitException("cannot create the writer lock " + lockFile + ": " + e.getMessage(), e);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        long wait = FIRST_WAIT_MILLIS;
        boolean announced = false;
        try {
            while (true) {
                FileLock lock = tryLock(channel, lockFile);
                if (lock != null) {
                    recordHolder(channel);
                    return new WriterLock(lockFile, channel, lock);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new LockTimeoutException("another writer holds the lock " + lockFile + " ("
                            + holderOf(lockFile) + "); gave up after " + describe(timeout)
                            + ". Wait for it to finish, or allow a longer wait (--lock-timeout)");
                }
                if (!announced) {
                    LOG.info("waiting up to {} for the writer lock {} ({})", describe(timeout), lockFile,
                            holderOf(lockFile));
                    announced = true;
                }
                Thread.sleep(Math.min(wait, Math.max(1, left / 1_000_000)));
                wait = Math.min(LONGEST_WAIT_MILLIS, wait * 2);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeQuietly(channel);
            throw new CnnkitException("interrupted while waiting for the writer lock " + lockFile, e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    /** {@return the lock file this lock holds} */
    public Path lockFile() {
        return lockFile;
    }

    /** {@return whether the lock is still held (false after {@link #close()})} */
    public boolean isHeld() {
        return lock.isValid();
    }

    /** Releases the lock; the lock file stays. Closing twice does nothing. */
    @Override
    public void close() {
        try {
            if (lock.isValid()) {
                lock.release();
            }
        } catch (IOException e) {
            LOG.warn("could not release the writer lock {} cleanly: {}", lockFile, e.getMessage());
        } finally {
            closeQuietly(channel);
        }
    }

    private static FileLock tryLock(FileChannel channel, Path lockFile) {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException e) {
            // Held by another thread of this JVM: wait like for another process.
            return null;
        } catch (IOException e) {
            throw new CnnkitException("cannot lock " + lockFile + ": " + e.getMessage(), e);
        }
    }

    private static void recordHolder(FileChannel channel) {
        String holder = "pid " + ProcessHandle.current().pid() + " since " + Instant.now() + " ("
                + ManagementFactory.getRuntimeMXBean().getName() + ")\n";
        try {
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(holder.getBytes(StandardCharsets.UTF_8)), 0);
        } catch (IOException e) {
            LOG.debug("could not record the lock holder: {}", e.getMessage());
        }
    }

    private static String holderOf(Path lockFile) {
        try {
            String text = Files.readString(lockFile, StandardCharsets.UTF_8).strip();
            return text.isEmpty() ? "holder unknown" : "held by " + text;
        } catch (IOException | RuntimeException e) {
            return "holder unknown";
        }
    }

    private static String describe(Duration duration) {
        long millis = duration.toMillis();
        return millis % 1000 == 0 ? (millis / 1000) + " s" : millis + " ms";
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("closing a lock channel failed: {}", e.getMessage());
        }
    }

    /** Thrown when another writer still holds the lock after the caller's timeout. */
    public static final class LockTimeoutException extends CnnkitException {

        private static final long serialVersionUID = 1L;

        /**
         * Creates the exception.
         *
         * @param message names the lock, its holder and the timeout
         */
        public LockTimeoutException(String message) {
            super(message);
        }
    }
}
