package org.cnnkit.examples.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.examples.serve.SearchServer;
import org.cnnkit.retrieval.ExtractorSpec;
import org.cnnkit.retrieval.ImageSearch;
import org.cnnkit.retrieval.SearchSettings;

/**
 * {@code serve-search}: {@code cnnkit serve}'s search API under load. Corel-1K is indexed with MobileNetV2 alpha 0.35
 * (224 x 224, the assets' Keras weights); then 8 concurrent clients each POST 200 Corel images to
 * {@code /api/search} (top 12) on loopback. The line gives requests/s ({@code value}), latency percentiles,
 * {@code single_ms} (the median of one search at a time, no other load) and {@code errors} (non-200 answers), and,
 * for the goal, {@code library_batched_per_s}: the library's own {@link ImageSearch#search(List, int,
 * ProgressListener)} over the same 200 images in one call (batched extraction, single-image queries).
 *
 * <p>The assets folder comes from {@code -Dcnnkit.assets} (default {@code ../shared/assets}).
 */
final class ServeSearchWorkload {

    static final String NAME = "serve-search";

    private static final int CLIENTS = 8;
    private static final int SEARCHES_PER_CLIENT = 200;
    private static final int QUERIES = 200;
    private static final int TOP = 12;

    private ServeSearchWorkload() {
    }

    static BenchResult run(String peer) {
        Path assets = Path.of(System.getProperty("cnnkit.assets", "../shared/assets"));
        Path corel = assets.resolve("corel1k");
        Path weights = assets.resolve("mobilenet_v2/mobilenet_v2_0.35_224_no_top.weights.h5");
        if (!Files.isDirectory(corel) || !Files.isRegularFile(weights)) {
            throw new CnnkitException(NAME + " needs " + corel + " and " + weights + " (set -Dcnnkit.assets)");
        }
        ImageSearch search = ImageSearch.create(ExtractorSpec.mobileNetV2(0.35).withWeights(weights),
                SearchSettings.defaults(), ProgressListener.none());
        search.indexFolder(corel, ProgressListener.none());
        List<Path> queries = queries(corel);
        List<byte[]> bodies = new ArrayList<>();
        for (Path query : queries) {
            bodies.add(read(query));
        }

        search.search(queries.subList(0, 32), TOP, ProgressListener.none());
        long libraryStart = System.nanoTime();
        search.search(queries, TOP, ProgressListener.none());
        double libraryPerSecond = queries.size() / seconds(libraryStart);

        try (search; SearchServer server = SearchServer.builder().setSearch(search).optPort(0)
                .optStoreName("exact (bench)").build().start()) {
            Client client = new Client(server.port());
            for (int i = 0; i < 16; i++) {
                client.search(bodies.get(i));
            }
            double[] single = new double[32];
            for (int i = 0; i < single.length; i++) {
                long start = System.nanoTime();
                client.search(bodies.get((i * 7) % bodies.size()));
                single[i] = (System.nanoTime() - start) / 1e6;
            }
            Arrays.sort(single);
            double singleMs = single[single.length / 2];

            AtomicInteger errors = new AtomicInteger();
            double[] latencies = new double[CLIENTS * SEARCHES_PER_CLIENT];
            ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
            long loadStart = System.nanoTime();
            try {
                List<Future<?>> running = new ArrayList<>();
                for (int c = 0; c < CLIENTS; c++) {
                    int clientIndex = c;
                    running.add(pool.submit(() -> {
                        for (int i = 0; i < SEARCHES_PER_CLIENT; i++) {
                            byte[] body = bodies.get((clientIndex * 25 + i) % bodies.size());
                            long start = System.nanoTime();
                            int status = client.searchStatus(body);
                            latencies[clientIndex * SEARCHES_PER_CLIENT + i] = (System.nanoTime() - start) / 1e6;
                            if (status != 200) {
                                errors.incrementAndGet();
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> future : running) {
                    future.get();
                }
            } catch (Exception e) {
                throw new CnnkitException(NAME + ": a client failed: " + e.getMessage(), e);
            } finally {
                pool.shutdownNow();
            }
            double loadSeconds = seconds(loadStart);
            Arrays.sort(latencies);
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("p50_ms", round(percentile(latencies, 0.50)));
            extra.put("p95_ms", round(percentile(latencies, 0.95)));
            extra.put("p99_ms", round(percentile(latencies, 0.99)));
            extra.put("single_ms", round(singleMs));
            extra.put("errors", errors.get());
            extra.put("library_batched_per_s", round(libraryPerSecond));
            extra.put("clients", CLIENTS);
            extra.put("searches_per_client", SEARCHES_PER_CLIENT);
            extra.put("images", search.store().size());
            extra.put("top", TOP);
            extra.put("load_average", loadAverage());
            return new BenchResult(NAME, latencies.length / loadSeconds, "requests/s", peer,
                    PeakMemory.peakRssMib(), extra);
        }
    }

    private static List<Path> queries(Path corel) {
        try (Stream<Path> files = Files.walk(corel)) {
            List<Path> images = files.filter(f -> f.toString().toLowerCase(java.util.Locale.ROOT).endsWith(".jpg"))
                    .sorted().toList();
            List<Path> chosen = new ArrayList<>();
            int step = Math.max(1, images.size() / QUERIES);
            for (int i = 0; i < images.size() && chosen.size() < QUERIES; i += step) {
                chosen.add(images.get(i));
            }
            return chosen;
        } catch (IOException e) {
            throw new CnnkitException("cannot list " + corel + ": " + e.getMessage(), e);
        }
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new CnnkitException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }

    private static double percentile(double[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }

    private static double round(double value) {
        return Math.round(value * 100.0) / 100.0;
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** POSTs images to {@code /api/search} as multipart forms. */
    private static final class Client {
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        private final URI uri;

        Client(int port) {
            this.uri = URI.create("http://127.0.0.1:" + port + "/api/search");
        }

        void search(byte[] image) {
            int status = searchStatus(image);
            if (status != 200) {
                throw new CnnkitException(NAME + ": a search answered " + status);
            }
        }

        int searchStatus(byte[] image) {
            String boundary = "----cnnkitbench" + System.nanoTime();
            ByteArrayOutputStream body = new ByteArrayOutputStream(image.length + 512);
            body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"top\"\r\n\r\n" + TOP
                    + "\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"q.jpg\""
                    + "\r\nContent-Type: image/jpeg\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            body.writeBytes(image);
            body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
            HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(120))
                    .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build();
            try {
                return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (IOException e) {
                return -1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }
    }
}
