package org.cnnkit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cnnkit.examples.PatternGallery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServeCommandTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @Test
    void badOptionsAreUsageErrorsOrOneLineFailures() throws Exception {
        assertThat(CliRunner.run(out, err, "serve")).isEqualTo(2);
        assertThat(err.toString()).contains("--index").contains("--store");
        assertThat(CliRunner.run(out, err, "serve", "--store", "nosuchkind:x")).isEqualTo(1);
        assertThat(err.toString()).contains("unknown kind");
        assertThat(CliRunner.run(out, err, "serve", "--index", "a.cfi", "--store", "exact:b.cfi")).isEqualTo(1);
        assertThat(err.toString()).contains("not both");
        assertThat(CliRunner.run(out, err, "serve", "--index", "x.cfi", "--port", "70000")).isEqualTo(2);
        Path empty = Files.writeString(dir.resolve("token"), "  \n");
        assertThat(CliRunner.run(out, err, "serve", "--index", "x.cfi", "--token-file", empty.toString()))
                .isEqualTo(1);
        assertThat(err.toString()).contains("token file").contains("empty");
        assertThat(CliRunner.run(out, err, "serve", "--index", dir.resolve("missing.cfi").toString())).isEqualTo(1);
        assertThat(err.toString()).contains("missing.cfi");
    }

    @Test
    void servesUntilSigtermThenStopsGracefully() throws Exception {
        Path weights = CliRunner.mobileNetWeights();
        Path gallery = dir.resolve("gallery");
        PatternGallery.write(gallery, 1, 64, 1);
        Path index = dir.resolve("gallery.cfi");
        assertThat(CliRunner.run(out, err, "index", "--data", gallery.toString(), "--out", index.toString(),
                "--extractor", "mobilenetv2", "--alpha", "0.35", "--weights", weights.toString(), "--image-size", "64"))
                .as(err.toString()).isZero();
        Path tokenFile = Files.writeString(dir.resolve("token.txt"), "let-me-in\n");

        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), Cli.class.getName(), "serve", "--index", index.toString(),
                "--port", "0", "--token-file", tokenFile.toString()));
        // To a file: Process.destroy() closes the pipes, so the log of the shutdown would be lost on a pipe.
        Path log = dir.resolve("serve.log");
        Process server = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            Pattern listening = Pattern.compile("cnnkit serve: .* on (http://127\\.0\\.0\\.1:\\d+/)");
            String url = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
            while (url == null && server.isAlive() && System.nanoTime() < deadline) {
                Matcher m = listening.matcher(Files.readString(log));
                if (m.find()) {
                    url = m.group(1);
                } else {
                    Thread.sleep(100);
                }
            }
            assertThat(url).as(Files.readString(log)).isNotNull();
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(url + "api/health"))
                    .header("Authorization", "Bearer let-me-in").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).contains("\"images\":8");
            assertThat(http.send(HttpRequest.newBuilder(URI.create(url + "api/health")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);

            server.destroy(); // SIGTERM
            assertThat(server.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(Files.readString(log)).contains("SearchServer - stopped");
        } finally {
            server.destroyForcibly();
        }
    }
}
