package org.cnnkit.examples.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The load generator's HTTP/1.1 client: requests encoded once (request line, headers and body in one byte array)
 * and written whole to kept-alive loopback sockets; an answer is read to its end, by {@code Content-Length} or
 * chunked, and only its status is kept. A load generator shares the cores with the server it measures, so it is kept
 * as cheap as {@code wrk}'s: no per-request objects beyond the status, no header maps, no body copies (the JDK's
 * {@code HttpURLConnection} took 0.7-0.9 ms of CPU per search in {@code serve-search}).
 *
 * <p>Connections are pooled: a request takes an idle one (or opens one) and gives it back after the answer, unless
 * the server said {@code Connection: close}. A request that fails on an idle connection (which the server may have
 * closed meanwhile) is sent once more on a new one; searches are safe to repeat. Thread-safe.
 */
final class KeepAliveHttp implements AutoCloseable {

    private static final int MAX_HEADER_BYTES = 64 * 1024;

    private final InetSocketAddress address;
    private final int timeoutMillis;
    private final ConcurrentLinkedQueue<Connection> idle = new ConcurrentLinkedQueue<>();

    /**
     * Creates a client of one server.
     *
     * @param host the server's host
     * @param port the server's port
     * @param timeoutMillis connect and read timeout
     */
    KeepAliveHttp(String host, int port, int timeoutMillis) {
        this.address = new InetSocketAddress(host, port);
        this.timeoutMillis = timeoutMillis;
    }

    /**
     * Encodes a POST request once.
     *
     * @param host the Host header's value
     * @param path the request path
     * @param contentType the body's content type
     * @param body the body
     * @return the request's bytes, ready for {@link #send}
     */
    static byte[] post(String host, String path, String contentType, byte[] body) {
        String head = "POST " + path + " HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: " + contentType
                + "\r\nContent-Length: " + body.length + "\r\n\r\n";
        ByteArrayOutputStream request = new ByteArrayOutputStream(head.length() + body.length);
        request.writeBytes(head.getBytes(StandardCharsets.US_ASCII));
        request.writeBytes(body);
        return request.toByteArray();
    }

    /**
     * Sends an encoded request and reads its answer to the end.
     *
     * @param request the request's bytes ({@link #post})
     * @return the answer's status code
     * @throws IOException if the connection fails or the answer is not well-formed HTTP/1.1
     */
    int send(byte[] request) throws IOException {
        Connection idleConnection = idle.poll();
        if (idleConnection != null) {
            try {
                return exchange(idleConnection, request);
            } catch (IOException e) {
                // the server may have closed the idle connection (its idle timeout): once more on a new one
            }
        }
        return exchange(open(), request);
    }

    private int exchange(Connection connection, byte[] request) throws IOException {
        try {
            connection.out.write(request);
            connection.out.flush();
            int status = connection.readAnswer();
            if (connection.keepAlive) {
                idle.add(connection);
            } else {
                connection.socket.close();
            }
            return status;
        } catch (IOException | RuntimeException e) {
            connection.socket.close();
            throw e;
        }
    }

    private Connection open() throws IOException {
        Socket socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(address, timeoutMillis);
        socket.setSoTimeout(timeoutMillis);
        return new Connection(socket);
    }

    /** Closes the idle connections. */
    @Override
    public void close() {
        for (Connection connection; (connection = idle.poll()) != null; ) {
            try {
                connection.socket.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    /** One socket and what its last answer said about keeping it. */
    private static final class Connection {

        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        private final byte[] line = new byte[MAX_HEADER_BYTES];
        private boolean keepAlive;

        Connection(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
            this.out = socket.getOutputStream();
        }

        /** Reads the status line, the headers and the body; returns the status. */
        int readAnswer() throws IOException {
            String status = readLine();
            if (!status.startsWith("HTTP/1.1 ") || status.length() < 12) {
                throw new IOException("not an HTTP/1.1 status line: '" + status + "'");
            }
            int code = Integer.parseInt(status.substring(9, 12));
            long length = -1;
            boolean chunked = false;
            keepAlive = true;
            for (String header = readLine(); !header.isEmpty(); header = readLine()) {
                int colon = header.indexOf(':');
                if (colon < 0) {
                    throw new IOException("not a header: '" + header + "'");
                }
                String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = header.substring(colon + 1).trim().toLowerCase(Locale.ROOT);
                switch (name) {
                    case "content-length" -> length = Long.parseLong(value);
                    case "transfer-encoding" -> chunked = value.contains("chunked");
                    case "connection" -> keepAlive = !value.contains("close");
                    default -> {
                        // not needed
                    }
                }
            }
            if (chunked) {
                skipChunks();
            } else if (length >= 0) {
                in.skipNBytes(length);
            } else {
                in.transferTo(OutputStream.nullOutputStream()); // the body ends with the connection
                keepAlive = false;
            }
            return code;
        }

        private void skipChunks() throws IOException {
            while (true) {
                String sizeLine = readLine();
                int extension = sizeLine.indexOf(';');
                long size = Long.parseLong((extension < 0 ? sizeLine : sizeLine.substring(0, extension)).trim(), 16);
                if (size == 0) {
                    while (!readLine().isEmpty()) {
                        // trailers
                    }
                    return;
                }
                in.skipNBytes(size);
                if (!readLine().isEmpty()) {
                    throw new IOException("a chunk does not end with CRLF");
                }
            }
        }

        /** One line without its CRLF, as ASCII. */
        private String readLine() throws IOException {
            int length = 0;
            while (true) {
                int b = in.read();
                if (b < 0) {
                    throw new EOFException("the server closed the connection in the middle of an answer");
                }
                if (b == '\n') {
                    int end = length > 0 && line[length - 1] == '\r' ? length - 1 : length;
                    return new String(line, 0, end, StandardCharsets.US_ASCII);
                }
                if (length == line.length) {
                    throw new IOException("an answer's line is longer than " + MAX_HEADER_BYTES + " bytes");
                }
                line[length++] = (byte) b;
            }
        }
    }
}
