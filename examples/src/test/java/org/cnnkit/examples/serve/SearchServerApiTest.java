package org.cnnkit.examples.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SearchServerApiTest {

    @TempDir
    static Path dir;

    static TestGallery gallery;
    static SearchServer server;
    static HttpTestClient client;

    @BeforeAll
    static void start() {
        gallery = new TestGallery(dir, 4);
        server = gallery.server().optMaxUploadBytes(200_000).build().start();
        client = new HttpTestClient(server);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void healthAndStatsDescribeTheIndex() throws Exception {
        HttpResponse<byte[]> health = client.get("/api/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(HttpTestClient.json(health).get("status").asText()).isEqualTo("ok");

        JsonNode stats = HttpTestClient.json(client.get("/api/stats"));
        assertThat(stats.get("images").asInt()).isEqualTo((int) gallery.search.store().size()).isGreaterThan(10);
        assertThat(stats.get("extractor").asText()).isEqualTo("colour-layout");
        assertThat(stats.get("dimension").asInt()).isEqualTo(12);
        assertThat(stats.get("store").asText()).isEqualTo("exact:test.cfi");
        assertThat(stats.get("classifier").isNull()).isTrue();
        assertThat(stats.get("max_upload_bytes").asLong()).isEqualTo(200_000);
    }

    @Test
    void anUploadedIndexedImageFindsItselfFirstAndTheRestNearestFirst() throws Exception {
        Path query = gallery.anyImage();
        HttpResponse<byte[]> response = client.upload("/api/search", "q.png", Files.readAllBytes(query), "5");
        assertThat(response.statusCode()).as(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        JsonNode body = HttpTestClient.json(response);
        JsonNode results = body.get("results");
        assertThat(results).hasSize(5);
        assertThat(body.get("query").get("name").asText()).isEqualTo("q.png");
        assertThat(results.get(0).get("id").asText()).isEqualTo(query.toAbsolutePath().normalize().toString());
        assertThat(results.get(0).get("distance").asDouble()).isLessThan(1e-4);
        assertThat(results.get(0).get("name").asText()).isEqualTo(query.getFileName().toString());
        for (int i = 1; i < results.size(); i++) {
            assertThat(results.get(i).get("rank").asInt()).isEqualTo(i + 1);
            assertThat(results.get(i).get("distance").asDouble())
                    .isGreaterThanOrEqualTo(results.get(i - 1).get("distance").asDouble());
        }
    }

    @Test
    void searchByIdLeavesTheImageItselfOut() throws Exception {
        String id = gallery.anyImage().toAbsolutePath().normalize().toString();
        HttpResponse<byte[]> response = client.get("/api/search?id=" + encode(id) + "&top=4");
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = HttpTestClient.json(response);
        assertThat(body.get("query").get("id").asText()).isEqualTo(id);
        assertThat(body.get("results")).hasSize(4);
        body.get("results").forEach(r -> assertThat(r.get("id").asText()).isNotEqualTo(id));
        List<Double> distances = new ArrayList<>();
        body.get("results").forEach(r -> distances.add(r.get("distance").asDouble()));
        assertThat(distances).isSorted();
    }

    @Test
    void imagesAndThumbnailsAreServedByTheirIdOnly() throws Exception {
        Path file = gallery.anyImage();
        JsonNode first = HttpTestClient.json(client.get("/api/search?id=" + encode(file.toAbsolutePath().toString())
                + "&top=1")).get("query");
        HttpResponse<byte[]> image = client.get("/" + first.get("image").asText());
        assertThat(image.statusCode()).isEqualTo(200);
        assertThat(image.headers().firstValue("Content-Type")).hasValue("image/png");
        assertThat(image.body()).isEqualTo(Files.readAllBytes(file));

        HttpResponse<byte[]> thumbnail = client.get("/" + first.get("thumbnail").asText());
        assertThat(thumbnail.statusCode()).isEqualTo(200);
        assertThat(thumbnail.headers().firstValue("Content-Type")).hasValue("image/jpeg");
        BufferedImage small = ImageIO.read(new ByteArrayInputStream(thumbnail.body()));
        assertThat(small.getWidth()).isEqualTo(64);
    }

    @Test
    void pathTraversalAndUnindexedFilesGive404() throws Exception {
        Path secret = dir.resolve("secret.png");
        Files.write(secret, Files.readAllBytes(gallery.anyImage()));
        for (String path : List.of(
                "/api/images/" + ImageKey.of(secret.toString()),
                "/api/images/" + ImageKey.of("/etc/passwd"),
                "/api/images/" + ImageKey.of(gallery.folder + "/../secret.png"),
                "/api/images/" + ImageKey.of("../../../etc/passwd") + "/thumbnail",
                "/api/images/..%2F..%2F..%2Fetc%2Fpasswd",
                "/api/images/%2e%2e/%2e%2e/etc/passwd",
                "/api/images/not*base64",
                "/api/search?id=" + encode("/etc/passwd"),
                "/api/search?id=" + encode(gallery.folder + "/../secret.png"),
                "/..%2F..%2Fetc%2Fpasswd",
                "/org/cnnkit/examples/serve/page/",
                "/org/",
                "/missing.html")) {
            HttpResponse<byte[]> response = client.get(path);
            assertThat(response.statusCode()).as(path).isIn(404, 400);
            assertThat(new String(response.body(), StandardCharsets.UTF_8)).as(path)
                    .doesNotContain("root:").doesNotContain("PNG");
        }
        assertThat(client.get("/api/images/" + ImageKey.of(secret.toString())).statusCode()).isEqualTo(404);
        assertThat(HttpTestClient.json(client.get("/api/search?id=" + encode("/etc/passwd"))).get("error").asText())
                .contains("no indexed image");
    }

    @Test
    void hostileUploadsGetTheirStatusAndMessageAndTheServerKeepsServing() throws Exception {
        assertError(client.upload("/api/search", "notes.png", "just some text".getBytes(StandardCharsets.UTF_8), null),
                400, "not a usable image");
        assertError(client.upload("/api/search", "empty.png", new byte[0], null), 400, "empty");
        assertError(client.upload("/api/search", "bomb.png", TestGallery.pngHeaderClaiming(100_000, 100_000), null),
                400, "more than the limit");
        assertError(client.upload("/api/search", "huge.png", new byte[300_000], null), 413, "larger than the limit");
        assertError(client.uploadChunked("/api/search", "huge.png", new byte[300_000]), 413, "larger than the limit");
        assertError(client.post("/api/search", "image/png", Files.readAllBytes(gallery.anyImage())), 400,
                "multipart/form-data");
        assertError(client.post("/api/search", "multipart/form-data; boundary=x", "garbage".getBytes()), 400, "");
        assertError(client.post("/api/search", "multipart/form-data; boundary=x", ("--x\r\nContent-Disposition: "
                + "form-data; name=\"_charset_\"\r\n\r\nx-nope\r\n--x--\r\n").getBytes(StandardCharsets.UTF_8)), 400,
                "the unsupported charset 'x-nope'");
        assertError(client.post("/api/search", "multipart/form-data; boundary=x", ("--x\r\nContent-Disposition: "
                + "form-data; name=\"top\"\r\nContent-Type: text/plain; charset=bad!\r\n\r\n3\r\n--x--\r\n")
                .getBytes(StandardCharsets.UTF_8)), 400, "the invalid charset 'bad!'");
        assertError(client.upload("/api/search", "q.png", Files.readAllBytes(gallery.anyImage()), "0"), 400, "top");
        assertError(client.upload("/api/search", "q.png", Files.readAllBytes(gallery.anyImage()), "1000"), 400, "top");
        assertError(client.get("/api/search?id=x&top=abc"), 404, "no indexed image");
        assertError(client.get("/api/search"), 400, "give the indexed image");
        assertError(client.upload("/api/classify", "q.png", Files.readAllBytes(gallery.anyImage()), null), 404,
                "--model");
        assertError(client.get("/api/nothing-here"), 404, "not found");

        HttpResponse<byte[]> after = client.upload("/api/search", "q.png", Files.readAllBytes(gallery.anyImage()), "3");
        assertThat(after.statusCode()).isEqualTo(200);
        assertThat(HttpTestClient.json(after).get("results")).hasSize(3);
    }

    @Test
    void everyResponseCarriesTheSecurityHeaders() throws Exception {
        for (String path : List.of("/", "/app.js", "/api/stats", "/api/nothing")) {
            HttpResponse<byte[]> response = client.get(path);
            assertThat(response.headers().firstValue("X-Content-Type-Options")).as(path).hasValue("nosniff");
            assertThat(response.headers().firstValue("Content-Security-Policy")).as(path).get().asString()
                    .contains("default-src 'self'");
        }
        HttpResponse<byte[]> page = client.get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(new String(page.body(), StandardCharsets.UTF_8)).contains("cnnkit").contains("app.js");
    }

    @Test
    void concurrentSearchesAllAnswerCorrectly() throws Exception {
        Path query = gallery.anyImage();
        byte[] bytes = Files.readAllBytes(query);
        String expected = query.toAbsolutePath().normalize().toString();
        JsonNode before = HttpTestClient.json(client.get("/api/stats"));
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<HttpResponse<byte[]>>> calls = new ArrayList<>();
            for (int i = 0; i < 48; i++) {
                calls.add(pool.submit(() -> client.upload("/api/search", "q.png", bytes, "3")));
            }
            for (Future<HttpResponse<byte[]>> call : calls) {
                HttpResponse<byte[]> response = call.get();
                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(HttpTestClient.json(response).get("results").get(0).get("id").asText()).isEqualTo(expected);
            }
            JsonNode after = HttpTestClient.json(client.get("/api/stats"));
            long batches = after.get("search_batches").asLong() - before.get("search_batches").asLong();
            assertThat(after.get("batched_searches").asLong() - before.get("batched_searches").asLong())
                    .isEqualTo(48);
            assertThat(batches).isBetween(1L, 48L);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void concurrentSearchesWithDifferentImagesEachGetTheirOwnAnswerAndABadUploadFailsAlone() throws Exception {
        List<Path> images;
        try (var files = Files.walk(gallery.folder)) {
            images = files.filter(f -> f.toString().endsWith(".png")).sorted().limit(12).toList();
        }
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<HttpResponse<byte[]>>> calls = new ArrayList<>();
            for (int i = 0; i < 48; i++) {
                byte[] bytes = i % 8 == 7 ? "not an image".getBytes(StandardCharsets.UTF_8)
                        : Files.readAllBytes(images.get(i % images.size()));
                String top = String.valueOf(1 + i % 5);
                calls.add(pool.submit(() -> client.upload("/api/search", "q.png", bytes, top)));
            }
            for (int i = 0; i < calls.size(); i++) {
                HttpResponse<byte[]> response = calls.get(i).get();
                if (i % 8 == 7) {
                    assertError(response, 400, "not a usable image");
                    continue;
                }
                assertThat(response.statusCode()).isEqualTo(200);
                JsonNode results = HttpTestClient.json(response).get("results");
                assertThat(results).hasSize(1 + i % 5);
                assertThat(results.get(0).get("id").asText())
                        .isEqualTo(images.get(i % images.size()).toAbsolutePath().normalize().toString());
                assertThat(results.get(0).get("distance").asDouble()).isZero();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    static void assertError(HttpResponse<byte[]> response, int status, String message) throws Exception {
        String text = new String(response.body(), StandardCharsets.UTF_8);
        assertThat(response.statusCode()).as(text).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).as(text).get().asString().startsWith("application/json");
        assertThat(HttpTestClient.json(response).get("error").asText()).as(text).contains(message);
    }

    static String encode(String text) {
        return java.net.URLEncoder.encode(text, StandardCharsets.UTF_8);
    }
}
