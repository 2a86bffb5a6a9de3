package org.cnnkit.examples.serve;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.cnnkit.core.image.ImageDecodingException;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.retrieval.ExtractionResult;
import org.cnnkit.retrieval.Match;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs image searches for many request threads through one worker: uploaded images wait in a bounded queue, and the
 * worker takes whatever is waiting (up to a batch) through the extractor as one batch and searches them with one
 * call, so concurrent requests share network batches instead of fighting over the cores. When the queue is full a
 * submission is refused at once ({@link RejectedExecutionException}, which the server answers with 503). At most one
 * batch of decoded images is in memory.
 *
 * <p><b>Forming batches.</b> Under steady load the requests of one batch come back as the next batch's requests a few
 * milliseconds apart (each client reads its answer and sends its next upload). Taking only what waits at the moment
 * the worker wakes would split them into a small batch and a remainder that waits a whole batch longer. So when the
 * previous batch held more than one search, the worker waits a moment (the linger, {@link #LINGER} by default) for as
 * many searches as that batch held before it starts; a lone search (the previous batch was a single one) starts at
 * once.
 */
final class SearchQueue implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SearchQueue.class);
    /** How long a batch may wait for the searches it expects by default (see the class comment). */
    static final Duration LINGER = Duration.ofMillis(10);

    private final ImageCatalog catalog;
    private final int maxBatch;
    private final long lingerNanos;
    private final BlockingQueue<Job> waiting;
    private final Thread worker;
    private volatile boolean closing;
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong batchedSearches = new AtomicLong();

    SearchQueue(ImageCatalog catalog, int maxBatch, int capacity) {
        this(catalog, maxBatch, capacity, LINGER);
    }

    SearchQueue(ImageCatalog catalog, int maxBatch, int capacity, Duration linger) {
        if (maxBatch < 1 || capacity < 1) {
            throw new IllegalArgumentException("batch and queue capacity must be at least 1");
        }
        this.catalog = catalog;
        this.maxBatch = maxBatch;
        this.lingerNanos = linger.toNanos();
        this.waiting = new ArrayBlockingQueue<>(capacity);
        this.worker = new Thread(this::work, "cnnkit-serve-search");
        this.worker.setDaemon(true);
        this.worker.start();
    }

    /**
     * Queues a search with an image file.
     *
     * @return the matches, nearest first, or an {@link ImageDecodingException} when the file is not a readable image
     * @throws RejectedExecutionException if the queue is full or closed
     */
    CompletableFuture<List<Match>> submit(Path image, int top) {
        Job job = new Job(image, top, new CompletableFuture<>());
        if (closing || !waiting.offer(job)) {
            throw new RejectedExecutionException(closing ? "the server is shutting down"
                    : "too many searches waiting (" + waiting.size() + "); try again in a moment");
        }
        return job.result();
    }

    /** Returns how many searches wait for the worker. */
    int waiting() {
        return waiting.size();
    }

    /** Returns how many batches the worker has run. */
    long batches() {
        return batches.get();
    }

    /** Returns how many searches those batches held together. */
    long batchedSearches() {
        return batchedSearches.get();
    }

    private void work() {
        List<Job> batch = new ArrayList<>(maxBatch);
        int previous = 1;
        while (!(closing && waiting.isEmpty())) {
            try {
                Job first = waiting.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                waiting.drainTo(batch, maxBatch - 1);
                fillTo(batch, Math.min(previous, maxBatch));
                previous = batch.size();
                batches.incrementAndGet();
                batchedSearches.addAndGet(batch.size());
                run(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } finally {
                batch.clear();
            }
        }
        for (Job left; (left = waiting.poll()) != null; ) {
            left.result().completeExceptionally(new RejectedExecutionException("the server is shutting down"));
        }
    }

    /** Waits up to the linger for the batch to reach {@code expected} searches. */
    private void fillTo(List<Job> batch, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + lingerNanos;
        while (batch.size() < expected && !closing) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            Job next = waiting.poll(left, TimeUnit.NANOSECONDS);
            if (next == null) {
                return;
            }
            batch.add(next);
            waiting.drainTo(batch, expected - batch.size());
        }
    }

    private void run(List<Job> batch) {
        List<Job> live = batch.stream().filter(job -> !job.result().isDone()).toList();
        if (live.isEmpty()) {
            return;
        }
        try {
            List<Path> files = live.stream().map(Job::image).toList();
            ExtractionResult extracted = catalog.extractor().extractReadable(files, ProgressListener.none());
            Map<Path, String> unreadable = new HashMap<>();
            for (ExtractionResult.SkippedFile skipped : extracted.skipped()) {
                unreadable.put(skipped.path(), skipped.reason());
            }
            int top = live.stream().mapToInt(Job::top).max().orElse(1);
            List<List<Match>> matches = extracted.vectors().length == 0 ? List.of()
                    : catalog.search(extracted.vectors(), top);
            Map<Path, List<Match>> byFile = new HashMap<>();
            for (int i = 0; i < extracted.files().size(); i++) {
                byFile.put(extracted.files().get(i), matches.get(i));
            }
            for (Job job : live) {
                List<Match> found = byFile.get(job.image());
                if (found != null) {
                    job.result().complete(List.copyOf(found.subList(0, Math.min(job.top(), found.size()))));
                } else {
                    job.result().completeExceptionally(new ImageDecodingException(job.image(),
                            unreadable.getOrDefault(job.image(), "not a readable image")));
                }
            }
        } catch (RuntimeException | Error e) {
            LOG.error("a batch of {} searches failed", live.size(), e);
            live.forEach(job -> job.result().completeExceptionally(e));
        }
    }

    /** Stops taking searches, finishes those already queued, and stops the worker. */
    @Override
    public void close() {
        closing = true;
        try {
            worker.join(TimeUnit.SECONDS.toMillis(60));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private record Job(Path image, int top, CompletableFuture<List<Match>> result) {
    }
}
