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
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The clients of {@code serve-search}, run as a process of their own so that their threads, allocations and garbage
 * collections are not the server's: uploads images to {@code POST /api/search} and prints what it measured, one
 * value per line, for {@link ServeSearchWorkload} to read:
 * <pre>
 * single MS          one search at a time, after warm-up searches (32 lines)
 * load MS STATUS     each search of the clients in flight together (CLIENTS x SEARCHES lines)
 * wall SECONDS       the time the load phase took
 * </pre>
 * Arguments: {@code PORT CLIENTS SEARCHES_PER_CLIENT TOP QUERY_LIST}, where the list file names one image per line.
 * Before timing it warms the server up: 16 searches one at a time, then every client 10 searches at once (the
 * batched path), neither counted.
 */
public final class ServeLoadClient {

    private static final int SINGLE_WARM_UP = 16;
    private static final int SINGLE_TIMED = 32;
    private static final int LOAD_WARM_UP = 10;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final URI uri;
    private final int top;

    private ServeLoadClient(int port, int top) {
        this.uri = URI.create("http://127.0.0.1:" + port + "/api/search");
        this.top = top;
    }

    /**
     * Runs the clients.
     *
     * @param args {@code PORT CLIENTS SEARCHES_PER_CLIENT TOP QUERY_LIST}
     * @throws Exception if a query cannot be read or a client thread fails
     */
    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: ServeLoadClient PORT CLIENTS SEARCHES_PER_CLIENT TOP QUERY_LIST");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        int clients = Integer.parseInt(args[1]);
        int searches = Integer.parseInt(args[2]);
        ServeLoadClient client = new ServeLoadClient(port, Integer.parseInt(args[3]));
        List<byte[]> bodies = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(args[4]))) {
            if (!line.isBlank()) {
                bodies.add(Files.readAllBytes(Path.of(line)));
            }
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < SINGLE_WARM_UP; i++) {
            client.expectOk(bodies.get(i % bodies.size()));
        }
        for (int i = 0; i < SINGLE_TIMED; i++) {
            long start = System.nanoTime();
            client.expectOk(bodies.get((i * 7) % bodies.size()));
            out.append("single ").append(millis(start)).append('\n');
        }
        client.load(clients, LOAD_WARM_UP, bodies, null);
        long loadStart = System.nanoTime();
        client.load(clients, searches, bodies, out);
        out.append("wall ").append(String.format(Locale.ROOT, "%.6f", (System.nanoTime() - loadStart) / 1e9))
                .append('\n');
        System.out.print(out);
        System.out.flush();
    }

    /** Runs {@code clients} threads of {@code searches} uploads each; appends their lines to {@code out} if given. */
    private void load(int clients, int searches, List<byte[]> bodies, StringBuilder out) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<String>> running = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int clientIndex = c;
                running.add(pool.submit(() -> {
                    StringBuilder lines = new StringBuilder();
                    for (int i = 0; i < searches; i++) {
                        byte[] body = bodies.get((clientIndex * 25 + i) % bodies.size());
                        long start = System.nanoTime();
                        int status = status(body);
                        lines.append("load ").append(millis(start)).append(' ').append(status).append('\n');
                    }
                    return lines.toString();
                }));
            }
            for (Future<String> future : running) {
                String lines = future.get();
                if (out != null) {
                    out.append(lines);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private void expectOk(byte[] image) {
        int status = status(image);
        if (status != 200) {
            throw new IllegalStateException("a search answered " + status);
        }
    }

    private int status(byte[] image) {
        String boundary = "----cnnkitbench" + System.nanoTime();
        ByteArrayOutputStream body = new ByteArrayOutputStream(image.length + 512);
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"top\"\r\n\r\n" + top
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

    private static String millis(long start) {
        return String.format(Locale.ROOT, "%.3f", (System.nanoTime() - start) / 1e6);
    }
}
