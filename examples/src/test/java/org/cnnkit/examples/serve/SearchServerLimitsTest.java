package org.cnnkit.examples.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.net.ConnectException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.retrieval.ExtractionResult;
import org.cnnkit.retrieval.ExtractorIdentity;
import org.cnnkit.retrieval.FeatureExtractor;
import org.cnnkit.retrieval.PreparedImage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SearchServerLimitsTest {

    @TempDir
    Path dir;

    @Test
    void withATokenEveryApiCallNeedsItButThePageDoesNot() throws Exception {
        TestGallery gallery = new TestGallery(dir, 1);
        try (SearchServer server = gallery.server().optToken("s3cret-token").build().start()) {
            HttpTestClient anonymous = new HttpTestClient(server);
            for (String path : List.of("/api/health", "/api/stats", "/api/search?id=x",
                    "/api/images/" + ImageKey.of(gallery.anyImage().toString()))) {
                HttpResponse<byte[]> response = anonymous.get(path);
                SearchServerApiTest.assertError(response, 401, "Authorization: Bearer");
                assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
            }
            SearchServerApiTest.assertError(anonymous.upload("/api/search", "q.png",
                    Files.readAllBytes(gallery.anyImage()), null), 401, "token");
            SearchServerApiTest.assertError(new HttpTestClient(server).withToken("s3cret-tokenX").get("/api/stats"),
                    401, "token");
            SearchServerApiTest.assertError(new HttpTestClient(server).withToken("").get("/api/stats"), 401, "token");
            assertThat(anonymous.get("/").statusCode()).isEqualTo(200);

            HttpTestClient authorised = new HttpTestClient(server).withToken("s3cret-token");
            assertThat(authorised.get("/api/stats").statusCode()).isEqualTo(200);
            assertThat(authorised.upload("/api/search", "q.png", Files.readAllBytes(gallery.anyImage()), "2")
                    .statusCode()).isEqualTo(200);
        }
    }

    @Test
    void searchesBeyondTheQueueGet503WithRetryAfterAndTheQueuedOnesFinish() throws Exception {
        TestGallery gallery = new TestGallery(dir, 1);
        GatedExtractor gated = new GatedExtractor(gallery.extractor);
        byte[] query = Files.readAllBytes(gallery.anyImage());
        try (SearchServer server = SearchServer.builder().setSearch(gallery.searchWith(gated)).optPort(0)
                .optMaxBatch(1).optQueueCapacity(1).build().start()) {
            HttpTestClient client = new HttpTestClient(server);
            CompletableFuture<HttpResponse<byte[]>> running = async(() -> client.upload("/api/search", "a.png", query, "2"));
            assertThat(gated.entered.await(20, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<HttpResponse<byte[]>> queued = async(() -> client.upload("/api/search", "b.png", query, "2"));
            waitUntil(() -> server.searchesWaiting() == 1);

            HttpResponse<byte[]> refused = client.upload("/api/search", "c.png", query, "2");
            SearchServerApiTest.assertError(refused, 503, "too many searches waiting");
            assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");

            gated.release.countDown();
            assertThat(running.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            assertThat(queued.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            assertThat(client.upload("/api/search", "d.png", query, "2").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void closeLetsTheRequestInFlightFinishThenRefusesConnections() throws Exception {
        TestGallery gallery = new TestGallery(dir, 1);
        GatedExtractor gated = new GatedExtractor(gallery.extractor);
        byte[] query = Files.readAllBytes(gallery.anyImage());
        SearchServer server = SearchServer.builder().setSearch(gallery.searchWith(gated)).optPort(0)
                .build().start();
        HttpTestClient client = new HttpTestClient(server);
        CompletableFuture<HttpResponse<byte[]>> inFlight = async(() -> client.upload("/api/search", "a.png", query, "2"));
        assertThat(gated.entered.await(20, TimeUnit.SECONDS)).isTrue();

        CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
        Thread.sleep(300);
        assertThat(closing).isNotDone();
        gated.release.countDown();

        HttpResponse<byte[]> response = inFlight.get(30, TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(HttpTestClient.json(response).get("results")).hasSize(2);
        closing.get(30, TimeUnit.SECONDS);
        assertThatThrownBy(() -> client.get("/api/health")).isInstanceOf(ConnectException.class);
    }

    private interface Call {
        HttpResponse<byte[]> call() throws Exception;
    }

    private static CompletableFuture<HttpResponse<byte[]>> async(Call call) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return call.call();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition within 20 s").isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    /** Holds every extraction until released, to make searches wait. */
    private static final class GatedExtractor implements FeatureExtractor {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        private final FeatureExtractor delegate;

        GatedExtractor(FeatureExtractor delegate) {
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
        public ExtractionResult extractPrepared(List<PreparedImage> images) {
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
