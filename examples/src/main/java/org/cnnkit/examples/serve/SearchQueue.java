package org.cnnkit.examples.serve;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.EncodedImage;
import org.cnnkit.core.image.ImageDecodingException;
import org.cnnkit.retrieval.ExtractionResult;
import org.cnnkit.retrieval.FeatureExtractor;
import org.cnnkit.retrieval.Match;
import org.cnnkit.retrieval.PreparedImage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs image searches for many request threads in two stages, as the library's batched search does: a few decode
 * threads read and decode each upload as soon as it is submitted ({@link FeatureExtractor#prepare}), and one
 * worker takes every decoded search waiting (up to a batch) through the network as one batch
 * ({@link FeatureExtractor#extractPrepared}) and searches them with one call. So uploads are decoded while the
 * network runs on the batch before, and concurrent requests share network batches instead of fighting over the
 * cores.
 *
 * <p><b>Bounds.</b> At most {@code capacity} searches wait at a time (being decoded, or decoded and waiting for the
 * network; the batch the network runs is not counted); beyond that a submission is refused at once ({@link RejectedExecutionException}, which the server answers with
 * 503). Only the decode threads hold encoded uploads and decoded photos in memory (one each); a search waiting for
 * the network holds only its network input (for MobileNetV2 at 224 x 224, 0.6 MB).
 *
 * <p><b>Forming batches.</b> When {@code linger} is positive and the previous batch held more than one search, the
 * worker waits up to the linger for as many searches as that batch held before it starts; with a linger of zero it
 * takes what is decoded when it is free (the default, see {@link #LINGER}).
 */
final class SearchQueue implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SearchQueue.class);
    /**
     * How long a batch waits by default for the searches it expects: none. With decoding in front of the queue, a
     * worker that waits leaves the network idle while decoded searches could run (measured in docs/serve.md).
     */
    static final Duration LINGER = Duration.ZERO;

    private final FeatureExtractor extractor;
    private final ImageCatalog catalog;
    private final int maxBatch;
    private final int capacity;
    private final long lingerNanos;
    private final ExecutorService decoders;
    private final BlockingQueue<Job> decoded = new LinkedBlockingQueue<>();
    private final AtomicInteger admitted = new AtomicInteger();
    private final AtomicLong names = new AtomicLong();
    private final Thread worker;
    private volatile boolean closing;
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong batchedSearches = new AtomicLong();

    SearchQueue(ImageCatalog catalog, int maxBatch, int capacity) {
        this(catalog, maxBatch, capacity, Runtime.getRuntime().availableProcessors(), LINGER);
    }

    SearchQueue(ImageCatalog catalog, int maxBatch, int capacity, int decodeThreads, Duration linger) {
        if (maxBatch < 1 || capacity < 1 || decodeThreads < 1) {
            throw new IllegalArgumentException("batch, queue capacity and decode threads must be at least 1");
        }
        this.catalog = catalog;
        this.extractor = catalog.extractor();
        this.maxBatch = maxBatch;
        this.capacity = capacity;
        this.lingerNanos = linger.toNanos();
        AtomicInteger decoderCount = new AtomicInteger();
        this.decoders = new ThreadPoolExecutor(decodeThreads, decodeThreads, 0, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), task -> {
                    Thread thread = new Thread(task, "cnnkit-serve-decode-" + decoderCount.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        this.worker = new Thread(this::work, "cnnkit-serve-search");
        this.worker.setDaemon(true);
        this.worker.start();
    }

    /**
     * Queues a search with an uploaded image: {@code content} is called on a decode thread, which then decodes the
     * bytes it returns.
     *
     * @param content reads the upload's bytes (called once, on a decode thread)
     * @param top how many matches
     * @return the matches, nearest first, or an {@link ImageDecodingException} when the bytes are not a readable image
     * @throws RejectedExecutionException if the queue is full or closed
     */
    CompletableFuture<List<Match>> submit(Callable<byte[]> content, int top) {
        if (closing) {
            throw new RejectedExecutionException("the server is shutting down");
        }
        if (admitted.incrementAndGet() > capacity) {
            admitted.decrementAndGet();
            throw new RejectedExecutionException("too many searches waiting (" + capacity
                    + "); try again in a moment");
        }
        Job job = new Job(Path.of("upload-" + names.incrementAndGet()), top, new CompletableFuture<>());
        try {
            decoders.execute(() -> decode(job, content));
        } catch (RejectedExecutionException e) {
            admitted.decrementAndGet();
            throw new RejectedExecutionException("the server is shutting down", e);
        }
        return job.result();
    }

    /** Returns how many searches wait: being decoded, or decoded and waiting for the network. */
    int waiting() {
        return admitted.get();
    }

    /** Returns how many searches are decoded and wait for the network. */
    int decodedWaiting() {
        return decoded.size();
    }

    /** Returns how many batches the worker has run. */
    long batches() {
        return batches.get();
    }

    /** Returns how many searches those batches held together. */
    long batchedSearches() {
        return batchedSearches.get();
    }

    private void decode(Job job, Callable<byte[]> content) {
        if (job.result().isDone()) { // the request gave up waiting
            admitted.decrementAndGet();
            return;
        }
        try {
            PreparedImage image = extractor.prepare(new EncodedImage(job.name(), content.call()));
            decoded.add(job.withImage(image));
        } catch (Exception | Error e) {
            admitted.decrementAndGet();
            if (!(e instanceof CnnkitException)) {
                LOG.error("reading or decoding an upload failed", e);
            }
            job.result().completeExceptionally(e);
        }
    }

    private void work() {
        List<Job> batch = new ArrayList<>(maxBatch);
        int previous = 1;
        while (!(closing && admitted.get() == 0)) {
            try {
                Job first = decoded.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                decoded.drainTo(batch, maxBatch - 1);
                if (lingerNanos > 0) {
                    fillTo(batch, Math.min(previous, maxBatch));
                }
                previous = batch.size();
                // taken: no longer waiting, their places go to new searches
                admitted.addAndGet(-batch.size());
                batches.incrementAndGet();
                batchedSearches.addAndGet(batch.size());
                run(batch);
            } catch (InterruptedException e) {
                admitted.addAndGet(-batch.size());
                Thread.currentThread().interrupt();
                break;
            } finally {
                batch.clear();
            }
        }
        for (Job left; (left = decoded.poll()) != null; ) {
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
            Job next = decoded.poll(left, TimeUnit.NANOSECONDS);
            if (next == null) {
                return;
            }
            batch.add(next);
            decoded.drainTo(batch, expected - batch.size());
        }
    }

    private void run(List<Job> batch) {
        List<Job> live = batch.stream().filter(job -> !job.result().isDone()).toList();
        if (live.isEmpty()) {
            return;
        }
        try {
            ExtractionResult extracted = extractor.extractPrepared(live.stream().map(Job::image).toList());
            Map<Path, String> unreadable = new HashMap<>();
            for (ExtractionResult.SkippedFile skipped : extracted.skipped()) {
                unreadable.put(skipped.path(), skipped.reason());
            }
            int top = live.stream().mapToInt(Job::top).max().orElse(1);
            List<List<Match>> matches = extracted.vectors().length == 0 ? List.of()
                    : catalog.search(extracted.vectors(), top);
            Map<Path, List<Match>> byName = new HashMap<>();
            for (int i = 0; i < extracted.files().size(); i++) {
                byName.put(extracted.files().get(i), matches.get(i));
            }
            for (Job job : live) {
                List<Match> found = byName.get(job.name());
                if (found != null) {
                    job.result().complete(List.copyOf(found.subList(0, Math.min(job.top(), found.size()))));
                } else {
                    job.result().completeExceptionally(new ImageDecodingException(job.name(),
                            unreadable.getOrDefault(job.name(), "not a readable image")));
                }
            }
        } catch (RuntimeException | Error e) {
            LOG.error("a batch of {} searches failed", live.size(), e);
            live.forEach(job -> job.result().completeExceptionally(e));
        }
    }

    /** Stops taking searches, finishes those already admitted, and stops the decode threads and the worker. */
    @Override
    public void close() {
        closing = true;
        decoders.shutdown();
        try {
            worker.join(TimeUnit.SECONDS.toMillis(60));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A search: its upload's name, how many matches, its answer, and once decoded its prepared image. */
    private record Job(Path name, int top, CompletableFuture<List<Match>> result, PreparedImage image) {

        Job(Path name, int top, CompletableFuture<List<Match>> result) {
            this(name, top, result, null);
        }

        Job withImage(PreparedImage prepared) {
            return new Job(name, top, result, prepared);
        }
    }
}
