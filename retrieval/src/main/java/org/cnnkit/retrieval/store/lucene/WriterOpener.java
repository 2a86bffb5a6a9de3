package org.cnnkit.retrieval.store.lucene;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Supplier;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.LockObtainFailedException;
import org.cnnkit.core.CnnkitException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the store's {@link IndexWriter}, which holds Lucene's {@code write.lock} (an OS lock through
 * {@code NativeFSLockFactory}, released when the holding process ends, even by {@code kill -9}): while another
 * writer (another process, or another store object in this one) holds it, retries with a log line until the lock
 * timeout, then fails naming the lock.
 */
final class WriterOpener {

    private static final Logger LOG = LoggerFactory.getLogger(WriterOpener.class);
    private static final long RETRY_MILLIS = 100;

    private WriterOpener() {
    }

    /**
     * Opens a writer, waiting for the write lock.
     *
     * @param directory the index directory
     * @param folder the index folder, for messages
     * @param config a fresh configuration per attempt (a config can serve one writer only)
     * @param timeout the longest wait for the lock
     * @return the writer
     * @throws CnnkitException if the lock stays taken for the timeout, or the index cannot be opened
     */
    static IndexWriter open(Directory directory, Path folder, Supplier<IndexWriterConfig> config, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean logged = false;
        while (true) {
            try {
                return new IndexWriter(directory, config.get());
            } catch (LockObtainFailedException e) {
                if (System.nanoTime() - deadline >= 0) {
                    throw new CnnkitException("the lucene store " + folder + " is being written by another writer: "
                            + "its lock " + folder.resolve(IndexWriter.WRITE_LOCK_NAME) + " stayed taken for "
                            + seconds(timeout) + " s; try again when that writer has finished (or closed its "
                            + "store), or raise the lock timeout", e);
                }
                if (!logged) {
                    LOG.info("Waiting up to {} s for another writer of {} to finish (lock {})",
                            seconds(timeout), folder, folder.resolve(IndexWriter.WRITE_LOCK_NAME));
                    logged = true;
                }
                sleep(folder);
            } catch (IOException e) {
                throw new CnnkitException("cannot open the lucene store " + folder + " for writing: " + e, e);
            }
        }
    }

    private static String seconds(Duration timeout) {
        return String.format(java.util.Locale.ROOT, "%.1f", timeout.toMillis() / 1000.0);
    }

    private static void sleep(Path folder) {
        try {
            Thread.sleep(RETRY_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CnnkitException("interrupted while waiting for the write lock of " + folder, e);
        }
    }
}
