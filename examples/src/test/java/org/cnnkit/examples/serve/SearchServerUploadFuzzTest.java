package org.cnnkit.examples.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.SilentCloseable;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Fuzzes the HTTP upload path of {@link SearchServer} with Jazzer: one server (over a small generated gallery, with
 * a tiny classifier) answers every input on 127.0.0.1. The documented outcome is a 200 with results or predictions,
 * or a JSON error ({@code {"error": "..."}}) with status 400, 404, 413 or 503; anything else (a 500, a body that is
 * not JSON, no answer within the timeout, {@code /api/health} failing afterwards) is a finding.
 *
 * <p>The first input byte chooses what the rest is: bit 0 the endpoint ({@code /api/search} or
 * {@code /api/classify}); bit 1 clear, the rest is the uploaded file inside a well-formed multipart body; bit 1 set,
 * the rest is the whole request body, sent as {@code multipart/form-data; boundary=cnnkitfuzz}, so that Jetty's
 * multipart parser itself gets the fuzzer's bytes. The upload limit is 2048 bytes, so that 413 is reachable with
 * libFuzzer's 4096-byte inputs.
 *
 * <p>Regression mode runs the committed inputs in {@code SearchServerUploadFuzzTestInputs/answersWithJsonAndStaysUp}
 * (written by {@link #main}, plus every input a fuzzing run found); {@code -Pfuzz} fuzzes it
 * (docs/reliability.md).
 */
class SearchServerUploadFuzzTest {

    static final String BOUNDARY = "cnnkitfuzz";
    private static final long MAX_UPLOAD_BYTES = 2048;
    private static final Set<Integer> ERROR_STATUSES = Set.of(400, 404, 413, 503);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path dir;
    private static SearchServer server;
    private static HttpClient http;
    private static String base;

    @BeforeAll
    static void start() throws IOException {
        dir = Files.createTempDirectory("cnnkit-fuzz-serve");
        TestGallery gallery = new TestGallery(dir, 1);
        server = gallery.server()
                .optClassifier(SearchServerClassifyTest.colourClassifier(List.of("red", "green", "blue")))
                .optMaxUploadBytes(MAX_UPLOAD_BYTES)
                .optRequestTimeout(Duration.ofSeconds(10))
                .build().start();
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        base = "http://127.0.0.1:" + server.port();
    }

    @AfterAll
    static void stop() throws IOException {
        if (server != null) {
            server.close();
        }
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    @FuzzTest
    void answersWithJsonAndStaysUp(byte[] input) throws Exception {
        // Jazzer's request-forgery detector reports every connection not allowed: allow the server's own. It is
        // set for each input, as Jazzer resets it between the regression inputs and the fuzzing.
        int port = server.port();
        try (SilentCloseable allowed = BugDetectors.allowNetworkConnections((host, p) -> p == port
                && isLoopback(host))) {
            if (input.length > 0) {
                sendAndCheck(input);
            }
        }
    }

    private static void sendAndCheck(byte[] input) throws Exception {
        boolean classify = (input[0] & 1) == 1;
        boolean raw = (input[0] & 2) == 2;
        byte[] rest = Arrays.copyOfRange(input, 1, input.length);
        String path = classify ? "/api/classify" : "/api/search";
        byte[] body = raw ? rest : multipart(rest, "query.png");
        HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(URI.create(base + path))
                        .timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofByteArray());

        String text = new String(response.body(), StandardCharsets.UTF_8);
        int status = response.statusCode();
        assertThat(response.headers().firstValue("Content-Type")).as("%d %s", status, text)
                .hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
        JsonNode answer = JSON.readTree(response.body());
        if (status == 200) {
            assertThat(answer.path(classify ? "predictions" : "results").isArray()).as(text).isTrue();
        } else {
            assertThat(status).as(text).isIn(ERROR_STATUSES);
            assertThat(answer.path("error").asText()).as(text).isNotBlank();
        }

        HttpResponse<byte[]> health = http.send(HttpRequest.newBuilder(URI.create(base + "/api/health"))
                .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(health.statusCode()).as("health after %d %s", status, text).isEqualTo(200);
    }

    private static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** A well-formed multipart body: a {@code top} field, then {@code content} as the part {@code image}. */
    static byte[] multipart(byte[] content, String fileName) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"top\"\r\n\r\n3\r\n"
                + "--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"" + fileName
                + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        out.writeBytes(content);
        out.writeBytes(("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    /**
     * Writes the seed inputs: a tiny PNG, a JPEG, a truncated PNG, an empty file, text, a PNG header claiming
     * 60000 x 60000 pixels and a file over the upload limit as uploaded files, to both endpoints; and, as whole
     * bodies, a well-formed form, one without the image part, one without its closing boundary, one whose part
     * declares a huge Content-Length, unknown and invalid charsets, a bad {@code top} and an empty body.
     *
     * @param args the inputs folder ({@code src/test/resources/org/cnnkit/examples/serve/
     *     SearchServerUploadFuzzTestInputs/answersWithJsonAndStaysUp})
     */
    public static void main(String[] args) throws IOException {
        Path folder = Path.of(args[0]);
        Files.createDirectories(folder);
        byte[] png = image(6, 5, "png");
        byte[] jpeg = image(9, 7, "jpg");
        byte[] truncated = Arrays.copyOf(png, png.length / 2);
        byte[] bomb = TestGallery.pngHeaderClaiming(60000, 60000);
        byte[] text = "not an image".getBytes(StandardCharsets.UTF_8);
        byte[] tooLarge = new byte[3000];
        new Random(3).nextBytes(tooLarge);
        for (int endpoint = 0; endpoint < 2; endpoint++) {
            String e = endpoint == 0 ? "search" : "classify";
            seed(folder, e + "-file-png", endpoint, png);
            seed(folder, e + "-file-jpeg", endpoint, jpeg);
            seed(folder, e + "-file-truncated-png", endpoint, truncated);
            seed(folder, e + "-file-empty", endpoint, new byte[0]);
            seed(folder, e + "-body-png", endpoint | 2, multipart(png, "q.png"));
        }
        seed(folder, "search-file-text", 0, text);
        seed(folder, "search-file-bomb-header", 0, bomb);
        seed(folder, "search-file-over-limit", 0, tooLarge);
        seed(folder, "search-body-empty", 2, new byte[0]);
        seed(folder, "search-body-no-image-part", 2, ("--" + BOUNDARY
                + "\r\nContent-Disposition: form-data; name=\"top\"\r\n\r\n3\r\n--" + BOUNDARY + "--\r\n")
                .getBytes(StandardCharsets.UTF_8));
        byte[] whole = multipart(png, "q.png");
        seed(folder, "search-body-unterminated", 2, Arrays.copyOf(whole, whole.length - 8));
        seed(folder, "search-body-huge-declared-size", 2, ("--" + BOUNDARY
                + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"q.png\"\r\n"
                + "Content-Length: 99999999999\r\nContent-Type: image/png\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8));
        seed(folder, "search-body-unsupported-charset", 2, ("--" + BOUNDARY
                + "\r\nContent-Disposition: form-data; name=\"_charset_\"\r\n\r\nx-nope\r\n--" + BOUNDARY + "--\r\n")
                .getBytes(StandardCharsets.UTF_8));
        seed(folder, "search-body-invalid-charset", 2, ("--" + BOUNDARY
                + "\r\nContent-Disposition: form-data; name=\"top\"\r\nContent-Type: text/plain; charset=bad!\r\n\r\n3"
                + "\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8));
        seed(folder, "search-body-bad-top", 2, ("--" + BOUNDARY
                + "\r\nContent-Disposition: form-data; name=\"top\"\r\n\r\n-7\r\n--" + BOUNDARY + "--\r\n")
                .getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] image(int width, int height, String format) throws IOException {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Random random = new Random(width * 31L + height);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt(0x1000000));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, format, out);
        return out.toByteArray();
    }

    private static void seed(Path folder, String name, int first, byte[] rest) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(first);
        out.writeBytes(rest);
        Files.write(folder.resolve(name), out.toByteArray());
    }
}
