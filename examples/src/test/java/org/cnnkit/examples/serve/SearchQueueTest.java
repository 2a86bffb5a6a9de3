package org.cnnkit.examples.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.retrieval.ExtractionResult;
import org.cnnkit.retrieval.ExtractorIdentity;
import org.cnnkit.retrieval.FeatureExtractor;
import org.cnnkit.retrieval.ImageSearch;
import org.cnnkit.retrieval.Match;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SearchQueueTest {

    @TempDir
    Path temp;

    @Test
    void aBatchWaitsBrieflyForAsManySearchesAsThePreviousBatchHeld() throws Exception {
        TestGallery gallery = new TestGallery(temp, 3);
        HeldExtractor extractor = new HeldExtractor(gallery.extractor);
        ImageSearch search = gallery.searchWith(extractor);
        Path query = gallery.anyImage();
        try (SearchQueue queue = new SearchQueue(new ImageCatalog(search, "test"), 16, 64, Duration.ofSeconds(5))) {
            CompletableFuture<List<Match>> first = queue.submit(query, 3);
            assertThat(extractor.entered.await(30, TimeUnit.SECONDS)).isTrue();
            // three searches arrive while the first runs: they are the next batch
            List<CompletableFuture<List<Match>>> next = List.of(queue.submit(query, 3), queue.submit(query, 3),
                    queue.submit(query, 3));
            extractor.release.countDown();
            first.get(30, TimeUnit.SECONDS);
            for (CompletableFuture<List<Match>> job : next) {
                job.get(30, TimeUnit.SECONDS);
            }
            assertThat(queue.batches()).isEqualTo(2);

            // the next three come 300 ms apart, well within the linger: one batch, as the previous one held three
            CompletableFuture<List<Match>> a = queue.submit(query, 3);
            Thread.sleep(300);
            CompletableFuture<List<Match>> b = queue.submit(query, 3);
            Thread.sleep(300);
            CompletableFuture<List<Match>> c = queue.submit(query, 3);
            for (CompletableFuture<List<Match>> job : List.of(a, b, c)) {
                assertThat(job.get(30, TimeUnit.SECONDS)).hasSize(3);
            }
            assertThat(queue.batches()).isEqualTo(3);
            assertThat(queue.batchedSearches()).isEqualTo(7);
            assertThat(extractor.batchSizes).containsExactly(1, 3, 3);
        }
    }

    @Test
    void aLoneSearchAfterALoneSearchDoesNotWait() throws Exception {
        TestGallery gallery = new TestGallery(temp, 3);
        Path query = gallery.anyImage();
        HeldExtractor extractor = new HeldExtractor(gallery.extractor);
        extractor.release.countDown();
        try (SearchQueue queue = new SearchQueue(new ImageCatalog(gallery.searchWith(extractor), "test"), 16, 64,
                Duration.ofSeconds(60))) {
            queue.submit(query, 3).get(30, TimeUnit.SECONDS);
            // with a linger of a minute, answering within 30 s shows the lone search did not wait for company
            queue.submit(query, 3).get(30, TimeUnit.SECONDS);
            assertThat(extractor.batchSizes).containsExactly(1, 1);
        }
    }

    /** Delegates to another extractor; its first batch waits until released, and it records every batch's size. */
    private static final class HeldExtractor implements FeatureExtractor {
        final FeatureExtractor delegate;
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final List<Integer> batchSizes = new java.util.concurrent.CopyOnWriteArrayList<>();

        HeldExtractor(FeatureExtractor delegate) {
            this.delegate = delegate;
        }

        @Override
        public String name() {
            return delegate.name();
        }

        @Override
        public ExtractorIdentity identity() {
            return delegate.identity();
        }

        @Override
        public float[][] extract(List<Path> files, ProgressListener listener) {
            return delegate.extract(files, listener);
        }

        @Override
        public ExtractionResult extractReadable(List<Path> files, ProgressListener listener) {
            batchSizes.add(files.size());
            entered.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return delegate.extractReadable(files, listener);
        }

        @Override
        public float[] extract(BufferedImage image) {
            return delegate.extract(image);
        }
    }
}
