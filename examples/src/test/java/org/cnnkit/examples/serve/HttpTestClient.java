package org.cnnkit.examples.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;

/** A small HTTP client for the server tests: JSON calls and multipart uploads. */
final class HttpTestClient {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;
    private String token;

    HttpTestClient(SearchServer server) {
        this.base = "http://127.0.0.1:" + server.port();
    }

    HttpTestClient withToken(String token) {
        this.token = token;
        return this;
    }

    HttpResponse<byte[]> get(String path) throws IOException, InterruptedException {
        return send(request(path).GET().build());
    }

    HttpResponse<byte[]> upload(String path, String fileName, byte[] content, String top)
            throws IOException, InterruptedException {
        String boundary = "----cnnkit" + UUID.randomUUID();
        byte[] body = multipart(boundary, fileName, content, top);
        return send(request(path).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    /** As {@link #upload} but chunked, without a Content-Length header. */
    HttpResponse<byte[]> uploadChunked(String path, String fileName, byte[] content)
            throws IOException, InterruptedException {
        String boundary = "----cnnkit" + UUID.randomUUID();
        byte[] body = multipart(boundary, fileName, content, null);
        return send(request(path).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build());
    }

    HttpResponse<byte[]> post(String path, String contentType, byte[] body) throws IOException, InterruptedException {
        return send(request(path).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    static JsonNode json(HttpResponse<byte[]> response) throws IOException {
        return JSON.readTree(response.body());
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        return builder;
    }

    private HttpResponse<byte[]> send(HttpRequest request) throws IOException, InterruptedException {
        return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    private static byte[] multipart(String boundary, String fileName, byte[] content, String top) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (top != null) {
            out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"top\"\r\n\r\n" + top
                    + "\r\n").getBytes(StandardCharsets.UTF_8));
        }
        out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\""
                + fileName + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        out.writeBytes(content);
        out.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }
}
