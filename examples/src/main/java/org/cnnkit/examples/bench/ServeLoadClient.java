package org.cnnkit.examples.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The clients of {@code serve-search}, run as a process of their own so that their threads, allocations and garbage
 * collections are not the server's: uploads images to {@code POST /api/search} and prints what it measured, one
 * value per line, for {@link ServeSearchWorkload} to read:
 * <pre>
 * single MS                 one search at a time, after warm-up searches (32 lines)
 * warm_up SEARCHES JIT_MS    the concurrent warm-up's searches, and the server's JIT CPU per search in its last round
 * load MS STATUS            each search of the clients in flight together (CLIENTS x SEARCHES lines)
 * wall SECONDS              the time the load phase took
 * cpu CLIENT_S SERVER_S     the CPU time this process and the server's process used during the load phase
 * threads GROUP SECONDS     the CPU time of the server's threads of each {@link ThreadCpu} group in the load phase
 * open RATE MS STATUS       open loop: searches sent at RATE per second (Poisson arrivals), latency from the
 *                           moment each was due (lines for each rate asked)
 * open_wall RATE SECONDS    the time an open-loop phase took
 * </pre>
 * Arguments: {@code PORT CLIENTS SEARCHES_PER_CLIENT TOP QUERY_LIST SERVER_PID [OPEN_COUNT OPEN_FRACTION...]}, where
 * the list file names one image per line; each open-loop phase sends {@code OPEN_COUNT} searches at
 * {@code OPEN_FRACTION} times the closed loop's measured rate. Before timing it warms the server up: 16 searches one
 * at a time, then rounds of {@value #WARM_UP_ROUND} searches per client at once (the batched path) until the server's
 * JIT compilers go quiet ({@link #warmUp}), none counted: a fresh server's JIT compilers are still compiling its HTTP
 * path through its first thousands of searches (about 2 CPU ms per search over the first thousand, measured in
 * docs/performance.md), and the closed loop measures a server in service, as the library's batched search it is
 * compared with runs warm.
 *
 * <p>The client is kept cheap, since it shares the cores with the server: every request (multipart body and
 * headers) is encoded once before any timing, and written whole to kept-alive sockets by {@link KeepAliveHttp}.
 */
public final class ServeLoadClient {

    private static final int SINGLE_WARM_UP = 16;
    private static final int SINGLE_TIMED = 32;
    /** Searches per client in one warm-up round of concurrent searches. */
    private static final int WARM_UP_ROUND = 50;
    private static final int MIN_WARM_UP_ROUNDS = 3;
    private static final int MAX_WARM_UP_ROUNDS = 30;
    /** The server's compiler threads' CPU per search below which a warm-up round counts as steady. */
    private static final double STEADY_JIT_MS = 0.25;
    private static final String BOUNDARY = "----cnnkitbench7d1e4f";
    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    private final KeepAliveHttp http;

    private ServeLoadClient(KeepAliveHttp http) {
        this.http = http;
    }

    /**
     * Runs the clients.
     *
     * @param args {@code PORT CLIENTS SEARCHES_PER_CLIENT TOP QUERY_LIST SERVER_PID [OPEN_COUNT OPEN_FRACTION...]}
     * @throws Exception if a query cannot be read or a client thread fails
     */
    public static void main(String[] args) throws Exception {
        if (args.length < 6) {
            System.err.println("usage: ServeLoadClient PORT CLIENTS SEARCHES_PER_CLIENT TOP QUERY_LIST SERVER_PID"
                    + " [OPEN_COUNT OPEN_FRACTION...]");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        int clients = Integer.parseInt(args[1]);
        int searches = Integer.parseInt(args[2]);
        int top = Integer.parseInt(args[3]);
        ProcessHandle server = ProcessHandle.of(Long.parseLong(args[5])).orElseThrow();
        KeepAliveHttp http = new KeepAliveHttp("127.0.0.1", port, (int) TIMEOUT.toMillis());
        ServeLoadClient client = new ServeLoadClient(http);
        List<byte[]> bodies = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(args[4]))) {
            if (!line.isBlank()) {
                bodies.add(KeepAliveHttp.post("127.0.0.1:" + port, "/api/search",
                        "multipart/form-data; boundary=" + BOUNDARY, multipart(Files.readAllBytes(Path.of(line)), top)));
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
        client.warmUp(clients, bodies, server.pid(), out);
        Duration clientCpu = cpu(ProcessHandle.current());
        Duration serverCpu = cpu(server);
        Map<String, ThreadCpu.Sample> serverThreads = ThreadCpu.snapshot(server.pid());
        long loadStart = System.nanoTime();
        client.load(clients, searches, bodies, out);
        double wall = (System.nanoTime() - loadStart) / 1e9;
        Map<String, ThreadCpu.Sample> serverThreadsAfter = ThreadCpu.snapshot(server.pid());
        out.append("wall ").append(String.format(Locale.ROOT, "%.6f", wall)).append('\n');
        out.append("cpu ").append(seconds(cpu(ProcessHandle.current()).minus(clientCpu))).append(' ')
                .append(seconds(cpu(server).minus(serverCpu))).append('\n');
        ThreadCpu.secondsByGroup(serverThreads, serverThreadsAfter).forEach((group, cpuSeconds) -> out
                .append("threads ").append(group).append(' ')
                .append(String.format(Locale.ROOT, "%.3f", cpuSeconds)).append('\n'));
        double closedRate = clients * searches / wall;
        for (int i = 7; i < args.length; i++) {
            double rate = closedRate * Double.parseDouble(args[i]);
            client.openLoop(rate, Integer.parseInt(args[6]), bodies, out);
        }
        http.close();
        System.out.print(out);
        System.out.flush();
    }

    /**
     * Warms the server up with rounds of concurrent searches until its JIT compilers go quiet: a round in which they
     * used at most {@link #STEADY_JIT_MS} of CPU per search, after {@link #MIN_WARM_UP_ROUNDS} rounds, or
     * {@link #MAX_WARM_UP_ROUNDS} rounds at most. Appends {@code warm_up SEARCHES LAST_ROUND_JIT_MS}.
     */
    private void warmUp(int clients, List<byte[]> bodies, long serverPid, StringBuilder out) throws Exception {
        int searches = 0;
        double jitMs = Double.NaN;
        for (int round = 1; round <= MAX_WARM_UP_ROUNDS; round++) {
            Map<String, ThreadCpu.Sample> before = ThreadCpu.snapshot(serverPid);
            load(clients, WARM_UP_ROUND, bodies, null);
            searches += clients * WARM_UP_ROUND;
            jitMs = 1000 * ThreadCpu.secondsByGroup(before, ThreadCpu.snapshot(serverPid)).getOrDefault("jit", 0.0)
                    / (clients * WARM_UP_ROUND);
            if (round >= MIN_WARM_UP_ROUNDS && jitMs <= STEADY_JIT_MS) {
                break;
            }
        }
        out.append("warm_up ").append(searches).append(' ').append(String.format(Locale.ROOT, "%.3f", jitMs))
                .append('\n');
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

    /**
     * Sends {@code count} searches at {@code rate} per second on average, with exponential gaps (a fixed seed), each
     * as it falls due whatever the searches before it are doing; a search's latency counts from when it was due, so
     * a server that falls behind is not flattered by requests sent late.
     */
    private void openLoop(double rate, int count, List<byte[]> bodies, StringBuilder out) throws Exception {
        ExecutorService pool = Executors.newCachedThreadPool();
        Random random = new Random(17);
        String label = String.format(Locale.ROOT, "%.3f", rate);
        try {
            List<Future<String>> sent = new ArrayList<>(count);
            long start = System.nanoTime();
            double at = 0;
            for (int i = 0; i < count; i++) {
                at += -Math.log(1 - random.nextDouble()) / rate;
                long due = start + (long) (at * 1e9);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                byte[] body = bodies.get((i * 13) % bodies.size());
                sent.add(pool.submit(() -> {
                    int status = status(body);
                    return "open " + label + " " + millis(due) + " " + status + "\n";
                }));
            }
            for (Future<String> line : sent) {
                out.append(line.get());
            }
            out.append("open_wall ").append(label).append(' ')
                    .append(String.format(Locale.ROOT, "%.6f", (System.nanoTime() - start) / 1e9)).append('\n');
        } finally {
            pool.shutdownNow();
        }
    }

    private void expectOk(byte[] body) {
        int status = status(body);
        if (status != 200) {
            throw new IllegalStateException("a search answered " + status);
        }
    }

    /** Sends one encoded request and reads the answer to its end (so that the connection is reused). */
    private int status(byte[] request) {
        try {
            return http.send(request);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The whole multipart body of a search with {@code image} and {@code top}, made once per image. */
    private static byte[] multipart(byte[] image, int top) {
        ByteArrayOutputStream body = new ByteArrayOutputStream(image.length + 512);
        body.writeBytes(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"top\"\r\n\r\n" + top
                + "\r\n--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"q.jpg\""
                + "\r\nContent-Type: image/jpeg\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.writeBytes(image);
        body.writeBytes(("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return body.toByteArray();
    }

    private static Duration cpu(ProcessHandle process) {
        return process.info().totalCpuDuration().orElse(Duration.ZERO);
    }

    private static String seconds(Duration duration) {
        return String.format(Locale.ROOT, "%.3f", duration.toNanos() / 1e9);
    }

    private static String millis(long start) {
        return String.format(Locale.ROOT, "%.3f", (System.nanoTime() - start) / 1e6);
    }
}
