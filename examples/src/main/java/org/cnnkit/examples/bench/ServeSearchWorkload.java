package org.cnnkit.examples.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.EncodedImage;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.examples.serve.SearchServer;
import org.cnnkit.retrieval.ExtractionResult;
import org.cnnkit.retrieval.ExtractorSpec;
import org.cnnkit.retrieval.ImageSearch;
import org.cnnkit.retrieval.SearchSettings;

/**
 * {@code serve-search}: {@code cnnkit serve}'s search API under load. Corel-1K is indexed with MobileNetV2 alpha 0.35
 * (224 x 224, the assets' Keras weights); then 8 concurrent clients each POST 200 Corel images to
 * {@code /api/search} (top 12) on loopback, from a JVM of their own ({@link ServeLoadClient}: their threads and
 * garbage collections are not the server's), after a warm-up of single and concurrent searches, and then two
 * open-loop phases send searches at 50% and 80% of the closed loop's rate. The line gives requests/s
 * ({@code value}), latency percentiles and mean, {@code single_ms} (the median of one search at a time, no other
 * load), {@code p95_over_single}, {@code errors} (non-200 answers), the CPU per search of the server and its clients,
 * the open-loop latencies, the batches the server formed, and, for the goal, {@code library_batched_per_s}: the
 * library's own batched search over the same 200 encoded images ({@link
 * org.cnnkit.retrieval.FeatureExtractor#extractEncoded} and one {@link ImageSearch#searchStore} call), before and
 * after the clients run.
 *
 * <p>The assets folder comes from {@code -Dcnnkit.assets} (default {@code ../shared/assets}).
 */
final class ServeSearchWorkload {

    static final String NAME = "serve-search";

    private static final int CLIENTS = 8;
    private static final int SEARCHES_PER_CLIENT = 200;
    private static final int QUERIES = 200;
    private static final int TOP = 12;
    /** Searches per open-loop phase, and the phases' rates as fractions of the closed loop's measured rate. */
    private static final int OPEN_COUNT = 400;
    private static final List<Double> OPEN_FRACTIONS = List.of(0.5, 0.8);

    private ServeSearchWorkload() {
    }

    static BenchResult run(String peer) {
        CorelAssets assets = CorelAssets.locate(NAME);
        Path corel = assets.corel();
        Path weights = assets.weights();
        ImageSearch search = ImageSearch.create(ExtractorSpec.mobileNetV2(0.35).withWeights(weights),
                SearchSettings.defaults(), ProgressListener.none());
        search.indexFolder(corel, ProgressListener.none());
        List<Path> queries = queries(corel);
        List<EncodedImage> encoded = new ArrayList<>();
        for (Path query : queries) {
            encoded.add(new EncodedImage(query, CorelAssets.read(query)));
        }

        library(search, encoded.subList(0, 32));
        LibraryRun libraryBefore = library(search, encoded);

        try (search; SearchServer server = SearchServer.builder().setSearch(search).optPort(0)
                .optStoreName("exact (bench)").build().start()) {
            ClientRun run = runClients(server.port(), queries);
            LibraryRun libraryAfter = library(search, encoded);
            double[] single = run.single();
            Arrays.sort(single);
            double singleMs = single[single.length / 2];
            double[] latencies = run.load();
            Arrays.sort(latencies);
            double mean = Arrays.stream(latencies).average().orElse(Double.NaN);
            double value = latencies.length / run.wallSeconds();
            Map<String, Object> stats = stats(server.port());
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("p50_ms", round(percentile(latencies, 0.50)));
            extra.put("p95_ms", round(percentile(latencies, 0.95)));
            extra.put("p99_ms", round(percentile(latencies, 0.99)));
            extra.put("mean_ms", round(mean));
            extra.put("single_ms", round(singleMs));
            extra.put("p95_over_single", round(percentile(latencies, 0.95) / singleMs));
            extra.put("errors", run.errors());
            extra.put("library_batched_per_s", round(libraryBefore.perSecond()));
            extra.put("library_batched_after_per_s", round(libraryAfter.perSecond()));
            extra.put("ratio_to_library", round(value / ((libraryBefore.perSecond() + libraryAfter.perSecond()) / 2)));
            extra.put("cpu_ms_per_search", round(1000 * (run.clientCpuSeconds() + run.serverCpuSeconds())
                    / latencies.length));
            extra.put("server_cpu_ms_per_search", round(1000 * run.serverCpuSeconds() / latencies.length));
            extra.put("library_cpu_ms_per_search", round((libraryBefore.cpuMsPerSearch()
                    + libraryAfter.cpuMsPerSearch()) / 2));
            Map<String, Double> serverThreads = ThreadCpu.withEnded(run.serverThreadSeconds(),
                    run.serverCpuSeconds());
            serverThreads.forEach((group, groupSeconds) -> extra.put("server_cpu_ms_" + group,
                    round(1000 * groupSeconds / latencies.length)));
            for (String group : libraryBefore.cpuMsByGroup().keySet()) { // none without /proc
                extra.put("library_cpu_ms_" + group, round((libraryBefore.cpuMsByGroup().getOrDefault(group, 0.0)
                        + libraryAfter.cpuMsByGroup().getOrDefault(group, 0.0)) / 2));
            }
            extra.put("client_cpu_s", round(run.clientCpuSeconds()));
            extra.put("server_cpu_s", round(run.serverCpuSeconds()));
            extra.put("client_cpu_share", round(run.clientCpuSeconds()
                    / (run.clientCpuSeconds() + run.serverCpuSeconds())));
            extra.put("cores_busy", round((run.clientCpuSeconds() + run.serverCpuSeconds()) / run.wallSeconds()));
            for (OpenPhase open : run.open()) {
                String key = "open_" + Math.round(open.fraction() * 100);
                double[] sorted = open.latencies().clone();
                Arrays.sort(sorted);
                extra.put(key + "_per_s", round(sorted.length / open.wallSeconds()));
                extra.put(key + "_p50_ms", round(percentile(sorted, 0.50)));
                extra.put(key + "_p95_ms", round(percentile(sorted, 0.95)));
                extra.put(key + "_p95_over_single", round(percentile(sorted, 0.95) / singleMs));
                extra.put(key + "_errors", open.errors());
            }
            extra.put("warm_up_searches", run.warmUpSearches());
            extra.put("warm_up_last_jit_ms", round(run.warmUpJitMs()));
            extra.put("server_batches", stats.get("search_batches"));
            extra.put("server_searches", stats.get("batched_searches"));
            extra.put("clients", CLIENTS);
            extra.put("searches_per_client", SEARCHES_PER_CLIENT);
            extra.put("client_process", true);
            extra.put("images", search.store().size());
            extra.put("top", TOP);
            extra.put("load_average", loadAverage());
            return new BenchResult(NAME, value, "requests/s", peer,
                    PeakMemory.peakRssMib(), extra);
        }
    }

    /**
     * The library's own batched search over encoded images, in searches per second: the same work per query as the
     * server's (decode the same bytes, batched extraction, one store search), without HTTP.
     */
    private static LibraryRun library(ImageSearch search, List<EncodedImage> images) {
        long self = ProcessHandle.current().pid();
        Map<String, ThreadCpu.Sample> threads = ThreadCpu.snapshot(self);
        long cpu = CorelAssets.processCpuNanos();
        long start = System.nanoTime();
        ExtractionResult extracted = search.extractor().extractEncoded(images);
        if (!extracted.skipped().isEmpty()) {
            throw new CnnkitException(NAME + ": cannot decode " + extracted.skipped().get(0).path());
        }
        search.searchStore(extracted.vectors(), TOP);
        double perSecond = images.size() / seconds(start);
        double cpuMs = (CorelAssets.processCpuNanos() - cpu) / 1e6 / images.size();
        Map<String, Double> groups = new LinkedHashMap<>();
        Map<String, Double> byGroup = ThreadCpu.secondsByGroup(threads, ThreadCpu.snapshot(self));
        ThreadCpu.withEnded(byGroup, cpuMs * images.size() / 1000)
                .forEach((group, groupSeconds) -> groups.put(group, 1000 * groupSeconds / images.size()));
        return new LibraryRun(perSecond, cpuMs, groups);
    }

    /**
     * The library's batched search: searches per second, CPU milliseconds per search, and those milliseconds by
     * {@link ThreadCpu} group.
     */
    private record LibraryRun(double perSecond, double cpuMsPerSearch, Map<String, Double> cpuMsByGroup) {
    }

    /** Runs {@link ServeLoadClient} in a JVM of its own against the server and reads what it measured. */
    private static ClientRun runClients(int port, List<Path> queries) {
        try {
            Path list = Files.createTempFile("cnnkit-serve-queries", ".txt");
            try {
                Files.write(list, queries.stream().map(q -> q.toAbsolutePath().toString()).toList());
                Path java = Path.of(System.getProperty("java.home"), "bin", "java");
                ProcessBuilder builder = new ProcessBuilder(java.toString(), "-Xmx256m", "-cp",
                        System.getProperty("java.class.path"), ServeLoadClient.class.getName(), String.valueOf(port),
                        String.valueOf(CLIENTS), String.valueOf(SEARCHES_PER_CLIENT), String.valueOf(TOP),
                        list.toString(), String.valueOf(ProcessHandle.current().pid()), String.valueOf(OPEN_COUNT));
                OPEN_FRACTIONS.forEach(fraction -> builder.command().add(String.valueOf(fraction)));
                builder.redirectError(ProcessBuilder.Redirect.INHERIT);
                Process process = builder.start();
                List<String> lines;
                try (var in = process.getInputStream()) {
                    lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
                }
                int exit = process.waitFor();
                if (exit != 0) {
                    throw new CnnkitException(NAME + ": the client process ended with exit code " + exit);
                }
                return ClientRun.parse(lines);
            } finally {
                Files.deleteIfExists(list);
            }
        } catch (IOException e) {
            throw new CnnkitException(NAME + ": cannot run the client process: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CnnkitException(NAME + ": interrupted while the clients ran", e);
        }
    }

    /** The server's own counters, from {@code GET /api/stats}. */
    private static Map<String, Object> stats(int port) {
        try {
            HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/api/stats")).build(),
                    HttpResponse.BodyHandlers.ofString());
            @SuppressWarnings("unchecked")
            Map<String, Object> stats = new ObjectMapper().readValue(answer.body(), Map.class);
            return stats;
        } catch (IOException e) {
            throw new CnnkitException(NAME + ": cannot read the server's stats: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CnnkitException(NAME + ": interrupted", e);
        }
    }

    /** What the client process measured. */
    private record ClientRun(double[] single, double[] load, int errors, double wallSeconds, double clientCpuSeconds,
                             double serverCpuSeconds, Map<String, Double> serverThreadSeconds, List<OpenPhase> open,
                             int warmUpSearches, double warmUpJitMs) {

        static ClientRun parse(List<String> lines) {
            List<Double> single = new ArrayList<>();
            List<Double> load = new ArrayList<>();
            int errors = 0;
            double wall = Double.NaN;
            double clientCpu = Double.NaN;
            double serverCpu = Double.NaN;
            Map<String, List<Double>> openLatencies = new LinkedHashMap<>();
            Map<String, Integer> openErrors = new LinkedHashMap<>();
            Map<String, Double> openWalls = new LinkedHashMap<>();
            Map<String, Double> threads = new LinkedHashMap<>();
            int warmUpSearches = 0;
            double warmUpJitMs = Double.NaN;
            for (String line : lines) {
                String[] parts = line.trim().split(" ");
                switch (parts[0]) {
                    case "single" -> single.add(Double.parseDouble(parts[1]));
                    case "load" -> {
                        load.add(Double.parseDouble(parts[1]));
                        if (!parts[2].equals("200")) {
                            errors++;
                        }
                    }
                    case "wall" -> wall = Double.parseDouble(parts[1]);
                    case "cpu" -> {
                        clientCpu = Double.parseDouble(parts[1]);
                        serverCpu = Double.parseDouble(parts[2]);
                    }
                    case "open" -> {
                        openLatencies.computeIfAbsent(parts[1], rate -> new ArrayList<>())
                                .add(Double.parseDouble(parts[2]));
                        openErrors.merge(parts[1], parts[3].equals("200") ? 0 : 1, Integer::sum);
                    }
                    case "open_wall" -> openWalls.put(parts[1], Double.parseDouble(parts[2]));
                    case "threads" -> threads.put(parts[1], Double.parseDouble(parts[2]));
                    case "warm_up" -> {
                        warmUpSearches = Integer.parseInt(parts[1]);
                        warmUpJitMs = Double.parseDouble(parts[2]);
                    }
                    default -> throw new CnnkitException(NAME + ": unexpected line from the client: " + line);
                }
            }
            if (single.isEmpty() || load.size() != CLIENTS * SEARCHES_PER_CLIENT || Double.isNaN(wall)
                    || Double.isNaN(clientCpu) || openWalls.size() != OPEN_FRACTIONS.size()) {
                throw new CnnkitException(NAME + ": the client process reported " + single.size() + " single and "
                        + load.size() + " load searches and " + openWalls.size() + " open-loop phases");
            }
            List<OpenPhase> open = new ArrayList<>();
            int i = 0;
            for (Map.Entry<String, Double> phase : openWalls.entrySet()) {
                open.add(new OpenPhase(OPEN_FRACTIONS.get(i++), openLatencies.get(phase.getKey()).stream()
                        .mapToDouble(Double::doubleValue).toArray(), openErrors.get(phase.getKey()), phase.getValue()));
            }
            return new ClientRun(single.stream().mapToDouble(Double::doubleValue).toArray(),
                    load.stream().mapToDouble(Double::doubleValue).toArray(), errors, wall, clientCpu, serverCpu,
                    threads, open, warmUpSearches, warmUpJitMs);
        }
    }

    /** An open-loop phase: searches sent at a fraction of the closed loop's rate, as they fell due. */
    private record OpenPhase(double fraction, double[] latencies, int errors, double wallSeconds) {
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
}
