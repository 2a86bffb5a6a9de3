package org.cnnkit.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.javalin.Javalin;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class KeepAliveHttpTest {

    private final Set<Integer> clientPorts = ConcurrentHashMap.newKeySet();
    private Javalin server;
    private KeepAliveHttp http;
    private String host;

    @BeforeEach
    void start() {
        server = Javalin.create(config -> config.showJavalinBanner = false);
        server.before(ctx -> clientPorts.add(ctx.req().getRemotePort()));
        server.post("/size", ctx -> ctx.result("{\"bytes\": " + ctx.bodyAsBytes().length + "}"));
        server.post("/stream", ctx -> {
            ctx.bodyAsBytes();
            ctx.result(new ByteArrayInputStream(new byte[300_000])); // streamed: chunked
        });
        server.post("/close", ctx -> {
            ctx.bodyAsBytes();
            ctx.header("Connection", "close");
            ctx.result("bye");
        });
        server.start(0);
        host = "127.0.0.1:" + server.port();
        http = new KeepAliveHttp("127.0.0.1", server.port(), 10_000);
    }

    @AfterEach
    void stop() {
        http.close();
        server.stop();
    }

    @Test
    void answersWithALengthAreReadToTheirEndAndOneConnectionServesThemAll() throws IOException {
        byte[] request = KeepAliveHttp.post(host, "/size", "application/octet-stream", new byte[40_000]);

        for (int i = 0; i < 5; i++) {
            assertThat(http.send(request)).isEqualTo(200);
        }

        assertThat(clientPorts).hasSize(1);
    }

    @Test
    void chunkedAnswersAreReadToTheirEndAndTheConnectionIsKept() throws IOException {
        byte[] request = KeepAliveHttp.post(host, "/stream", "text/plain", "x".getBytes(StandardCharsets.UTF_8));

        assertThat(http.send(request)).isEqualTo(200);
        assertThat(http.send(request)).isEqualTo(200);
        assertThat(http.send(KeepAliveHttp.post(host, "/size", "text/plain", new byte[3]))).isEqualTo(200);

        assertThat(clientPorts).hasSize(1);
    }

    @Test
    void anErrorStatusIsReturnedAndTheConnectionStaysUsable() throws IOException {
        assertThat(http.send(KeepAliveHttp.post(host, "/missing", "text/plain", new byte[10]))).isEqualTo(404);
        assertThat(http.send(KeepAliveHttp.post(host, "/size", "text/plain", new byte[10]))).isEqualTo(200);

        assertThat(clientPorts).hasSize(1);
    }

    @Test
    void aConnectionTheServerClosesIsReplacedByANewOne() throws IOException {
        assertThat(http.send(KeepAliveHttp.post(host, "/close", "text/plain", new byte[10]))).isEqualTo(200);
        assertThat(http.send(KeepAliveHttp.post(host, "/size", "text/plain", new byte[10]))).isEqualTo(200);

        assertThat(clientPorts).hasSize(2);
    }

    @Test
    void chunksWithExtensionsAndTrailersAreReadToTheEndOfTheAnswer() throws Exception {
        String chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;name=value\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nTrailer: yes\r\n\r\n";
        String plain = "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";
        try (ServerSocket raw = new ServerSocket(0)) {
            Thread answer = new Thread(() -> {
                try (Socket socket = raw.accept(); OutputStream out = socket.getOutputStream()) {
                    var in = new java.io.DataInputStream(socket.getInputStream());
                    for (String response : new String[] {chunked, plain}) {
                        readRequest(in);
                        out.write(response.getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                    }
                } catch (IOException e) {
                    // the test fails on the client side
                }
            });
            answer.start();
            try (KeepAliveHttp client = new KeepAliveHttp("127.0.0.1", raw.getLocalPort(), 10_000)) {
                byte[] request = KeepAliveHttp.post("x", "/", "text/plain", new byte[7]);
                assertThat(client.send(request)).isEqualTo(200);
                assertThat(client.send(request)).isEqualTo(201); // the same socket: the server accepts only one
            }
            answer.join(10_000);
        }
    }

    @Test
    void aKeptConnectionTheServerClosedMeanwhileIsReplacedAndTheRequestSentAgain() throws Exception {
        String answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        try (ServerSocket raw = new ServerSocket(0)) {
            Thread server = new Thread(() -> {
                for (int connection = 0; connection < 2; connection++) {
                    // each connection answers one request and is then closed without saying so
                    try (Socket socket = raw.accept(); OutputStream out = socket.getOutputStream()) {
                        readRequest(new java.io.DataInputStream(socket.getInputStream()));
                        out.write(answer.getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            server.start();
            try (KeepAliveHttp client = new KeepAliveHttp("127.0.0.1", raw.getLocalPort(), 10_000)) {
                byte[] request = KeepAliveHttp.post("x", "/", "text/plain", new byte[5]);
                assertThat(client.send(request)).isEqualTo(200);
                assertThat(client.send(request)).isEqualTo(200);
            }
            server.join(10_000);
        }
    }

    /** Reads one request with a Content-Length body. */
    private static void readRequest(java.io.DataInputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            head.append((char) in.readUnsignedByte());
        }
        String lengthHeader = "Content-Length: ";
        int at = head.indexOf(lengthHeader);
        int length = Integer.parseInt(head.substring(at + lengthHeader.length(), head.indexOf("\r\n", at)));
        in.readFully(new byte[length]);
    }

    @Test
    void anAnswerThatIsNotHttpIsAnIoErrorNamingWhatCame() throws Exception {
        try (ServerSocket notHttp = new ServerSocket(0)) {
            Thread answer = new Thread(() -> {
                try (Socket socket = notHttp.accept(); OutputStream out = socket.getOutputStream()) {
                    out.write("hello there\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    socket.getInputStream().read(new byte[1024]);
                } catch (IOException e) {
                    // the client has gone
                }
            });
            answer.start();
            try (KeepAliveHttp client = new KeepAliveHttp("127.0.0.1", notHttp.getLocalPort(), 10_000)) {
                assertThatThrownBy(() -> client.send(KeepAliveHttp.post("x", "/", "text/plain", new byte[1])))
                        .isInstanceOf(IOException.class)
                        .hasMessageContaining("not an HTTP/1.1 status line: 'hello there'");
            }
            answer.join(10_000);
        }
    }
}
