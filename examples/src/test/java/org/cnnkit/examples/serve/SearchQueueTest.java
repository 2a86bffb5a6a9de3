package org.cnnkit.examples.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.cnnkit.core.image.EncodedImage;
import org.cnnkit.core.image.ImageDecodingException;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.retrieval.ExtractionResult;
import org.cnnkit.retrieval.ExtractorIdentity;
import org.cnnkit.retrieval.FeatureExtractor;
import org.cnnkit.retrieval.ImageSearch;
import org.cnnkit.retrieval.Match;
import org.cnnkit.retrieval.PreparedImage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SearchQueueTest {

    @TempDir
    Path temp;

    private static Callable<byte[]> bytesOf(Path file) {
        return () -> Files.readAllBytes(file);
    }

    @Test
    void uploadsAreDecodedWhileTheNetworkRunsTheBatchBeforeAndThenRunAsOneBatch() throws Exception {
        TestGallery gallery = new TestGallery(temp, 3);
        HeldExtractor extractor = new HeldExtractor(gallery.extractor);
        Path query = gallery.anyImage();
        try (SearchQueue queue = new SearchQueue(new ImageCatalog(gallery.searchWith(extractor), "test"), 16, 64, 2,
                Duration.ZERO)) {
            CompletableFuture<List<Match>> first = queue.submit(bytesOf(query), 3);
            assertThat(extractor.entered.await(30, TimeUnit.SECONDS)).isTrue();
            List<CompletableFuture<List<Match>>> next = List.of(queue.submit(bytesOf(query), 3),
                    queue.submit(bytesOf(query), 3), queue.submit(bytesOf(query), 3));
            // the network still holds the first search: the three others are decoded meanwhile
            assertThat(extractor.prepared.await(30, TimeUnit.SECONDS)).isTrue();
            waitUntil(() -> queue.decodedWaiting() == 3);
            assertThat(queue.waiting()).isEqualTo(3);
            assertThat(extractor.batchSizes).containsExactly(1);
            extractor.release.countDown();
            assertThat(first.get(30, TimeUnit.SECONDS)).hasSize(3);
            for (CompletableFuture<List<Match>> job : next) {
                assertThat(job.get(30, TimeUnit.SECONDS)).hasSize(3);
            }
            assertThat(extractor.batchSizes).containsExactly(1, 3);
            assertThat(queue.batchedSearches()).isEqualTo(4);
            assertThat(queue.waiting()).isZero();
        }
    }

    @Test
    void aBatchWaitsBrieflyForAsManySearchesAsThePreviousBatchHeldWhenALingerIsSet() throws Exception {
        TestGallery gallery = new TestGallery(temp, 3);
        HeldExtractor extractor = new HeldExtractor(gallery.extractor);
        ImageSearch search = gallery.searchWith(extractor);
        Path query = gallery.anyImage();
        try (SearchQueue queue = new SearchQueue(new ImageCatalog(search, "test"), 16, 64, 2, Duration.ofSeconds(5))) {
            CompletableFuture<List<Match>> first = queue.submit(bytesOf(query), 3);
            assertThat(extractor.entered.await(30, TimeUnit.SECONDS)).isTrue();
            List<CompletableFuture<List<Match>>> next = List.of(queue.submit(bytesOf(query), 3),
                    queue.submit(bytesOf(query), 3), queue.submit(bytesOf(query), 3));
            assertThat(extractor.prepared.await(30, TimeUnit.SECONDS)).isTrue();
            waitUntil(() -> queue.decodedWaiting() == 3);
            extractor.release.countDown();
            first.get(30, TimeUnit.SECONDS);
            for (CompletableFuture<List<Match>> job : next) {
                job.get(30, TimeUnit.SECONDS);
            }

            // the next three come 300 ms apart, well within the linger: one batch, as the previous one held three
            CompletableFuture<List<Match>> a = queue.submit(bytesOf(query), 3);
            Thread.sleep(300);
            CompletableFuture<List<Match>> b = queue.submit(bytesOf(query), 3);
            Thread.sleep(300);
            CompletableFuture<List<Match>> c = queue.submit(bytesOf(query), 3);
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
        try (SearchQueue queue = new SearchQueue(new ImageCatalog(gallery.searchWith(extractor), "test"), 16, 64, 2,
                Duration.ofSeconds(60))) {
            queue.submit(bytesOf(query), 3).get(30, TimeUnit.SECONDS);
            // with a linger of a minute, answering within 30 s shows the lone search did not wait for company
            queue.submit(bytesOf(query), 3).get(30, TimeUnit.SECONDS);
            assertThat(extractor.batchSizes).containsExactly(1, 1);
        }
    }

    @Test
    void searchesBeingDecodedCountAgainstTheCapacity() throws Exception {
        TestGallery gallery = new TestGallery(temp, 3);
        Path query = gallery.anyImage();
        HeldExtractor extractor = new HeldExtractor(gallery.extractor);
        CountDownLatch reading = new CountDownLatch(1);
        try (SearchQueue queue = new SearchQueue(new ImageCatalog(gallery.searchWith(extractor), "test"), 16, 1, 2,
                Duration.ZERO)) {
            CompletableFuture<List<Match>> first = queue.submit(bytesOf(query), 3);
            assertThat(extractor.entered.await(30, TimeUnit.SECONDS)).isTrue();
            // the first runs (it waits no more); the second is still being read: it takes the one place
            CompletableFuture<List<Match>> second = queue.submit(() -> {
                reading.await(30, TimeUnit.SECONDS);
                return Files.readAllBytes(query);
            }, 3);

            assertThatThrownBy(() -> queue.submit(bytesOf(query), 3)).isInstanceOf(RejectedExecutionException.class)
                    .hasMessageContaining("too many searches");

            reading.countDown();
            extractor.release.countDown();
            assertThat(first.get(30, TimeUnit.SECONDS)).hasSize(3);
            assertThat(second.get(30, TimeUnit.SECONDS)).hasSize(3);
            assertThat(queue.submit(bytesOf(query), 3).get(30, TimeUnit.SECONDS)).hasSize(3);
        }
    }

    @Test
    void anUploadThatIsNotAnImageFailsWithADecodingErrorAndFreesItsPlace() throws Exception {
        TestGallery gallery = new TestGallery(temp, 3);
        Path query = gallery.anyImage();
        try (SearchQueue queue = new SearchQueue(new ImageCatalog(gallery.search, "test"), 16, 1, 2, Duration.ZERO)) {
            CompletableFuture<List<Match>> text = queue.submit(() -> "not an image".getBytes(), 3);

            assertThatThrownBy(() -> text.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(ImageDecodingException.class);
            assertThat(queue.submit(bytesOf(query), 3).get(30, TimeUnit.SECONDS)).hasSize(3);
        }
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition within 30 s").isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    /**
     * Delegates to another extractor, decoding in {@code prepare} as the network extractors do; its first batch
     * waits until released, it counts down {@code prepared} after four images were prepared, and it records every
     * batch's size.
     */
    private static final class HeldExtractor implements FeatureExtractor {
        final FeatureExtractor delegate;
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch prepared = new CountDownLatch(4);
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
            return delegate.extractReadable(files, listener);
        }

        @Override
        public PreparedImage prepare(EncodedImage image) {
            PreparedImage result = FeatureExtractor.super.prepare(image);
            prepared.countDown();
            return result;
        }

        @Override
        public ExtractionResult extractPrepared(List<PreparedImage> images) {
            batchSizes.add(images.size());
            entered.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return FeatureExtractor.super.extractPrepared(images);
        }

        @Override
        public float[] extract(BufferedImage image) {
            return delegate.extract(image);
        }
    }
}
