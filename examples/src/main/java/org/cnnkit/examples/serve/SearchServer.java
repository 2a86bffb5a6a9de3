package org.cnnkit.examples.serve;

import io.javalin.Javalin;
import io.javalin.config.SizeUnit;
import io.javalin.http.BadRequestResponse;
import io.javalin.http.ContentTooLargeResponse;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.NotFoundResponse;
import io.javalin.http.UnauthorizedResponse;
import io.javalin.http.UploadedFile;
import io.javalin.http.staticfiles.Location;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.UnsupportedCharsetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.ImageDecoder;
import org.cnnkit.core.image.ImageDecodingException;
import org.cnnkit.retrieval.ImageSearch;
import org.cnnkit.retrieval.Match;
import org.cnnkit.zoo.ImageClassifier;
import org.cnnkit.zoo.Prediction;
import org.cnnkit.zoo.ScoredLabel;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The image search web page and JSON API on an embedded Javalin (Jetty) server: search with an uploaded image or an
 * indexed one, classify with an optional model, fetch indexed images and thumbnails by id, and read the index's
 * statistics. {@code docs/serve.md} describes every endpoint.
 *
 * <pre>{@code
 * try (ImageSearch search = ImageSearch.open(StoreSpec.parse("exact:photos.cfi"), StoreOptions.openExisting(),
 *         ProgressListener.none());
 *      SearchServer server = SearchServer.builder().setSearch(search).optPort(8080).build().start()) {
 *     server.awaitStop();
 * }
 * }</pre>
 *
 * <p>Limits: uploads larger than the upload limit get 413 (Jetty's multipart limits), files that are not images or
 * exceed the decoder's pixel limit 400, searches beyond the bounded queue 503 with {@code Retry-After}; connections
 * idle longer than the request timeout are closed, and a search waiting longer gets 503. With a token, every
 * {@code /api/} call needs {@code Authorization: Bearer TOKEN}. {@link #close()} stops gracefully: requests in
 * flight finish first.
 */
public final class SearchServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SearchServer.class);
    private static final String PAGE = "/org/cnnkit/examples/serve/page";
    private static final String CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' blob: data:; "
            + "script-src 'self'; style-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
            + "form-action 'self'; frame-ancestors 'none'";
    /** Room for the multipart headers and the small form fields beside the image. */
    private static final long FORM_OVERHEAD_BYTES = 64 * 1024;
    private static final int MAX_TOP = 100;
    private static final int DEFAULT_TOP = 12;

    private final ImageCatalog catalog;
    private final Optional<ImageClassifier> classifier;
    private final Optional<BearerToken> token;
    private final String bind;
    private final int requestedPort;
    private final long maxUploadBytes;
    private final Duration requestTimeout;
    private final Path uploads;
    private final SearchQueue searches;
    private final ThreadPoolExecutor classifications;
    private final Thumbnails thumbnails;
    private final Javalin app;
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private volatile boolean stopping;

    private SearchServer(Builder b) {
        this.catalog = new ImageCatalog(b.search, b.storeName);
        this.classifier = Optional.ofNullable(b.classifier);
        this.token = Optional.ofNullable(b.token).map(BearerToken::new);
        this.bind = b.bind;
        this.requestedPort = b.port;
        this.maxUploadBytes = b.maxUploadBytes;
        this.requestTimeout = b.requestTimeout;
        try {
            this.uploads = Files.createTempDirectory("cnnkit-serve-uploads");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a folder for uploads", e);
        }
        this.searches = new SearchQueue(catalog, b.maxBatch, b.queueCapacity);
        this.classifications = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(b.queueCapacity), r -> {
                    Thread thread = new Thread(r, "cnnkit-serve-classify");
                    thread.setDaemon(true);
                    return thread;
                });
        this.thumbnails = new Thumbnails(new ImageDecoder(), 4096);
        this.app = createApp(b);
    }

    /** Returns a builder; the search is required. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Binds the address and starts serving.
     *
     * @return this server
     * @throws CnnkitException if the address cannot be bound (in use, not local)
     */
    public SearchServer start() {
        try {
            app.start();
        } catch (RuntimeException e) {
            close();
            throw new CnnkitException("cannot listen on " + bind + ":" + requestedPort + ": "
                    + Optional.ofNullable(e.getCause()).map(Throwable::getMessage).orElse(e.getMessage()), e);
        }
        if (!isLoopback(bind)) {
            LOG.warn("listening on {}, reachable from other machines{}; put it behind a reverse proxy with TLS",
                    bind, token.isPresent() ? "" : " without a token (--token-file or CNNKIT_TOKEN)");
        }
        LOG.info("serving {} images ({}) on {}", catalog.size(), catalog.storeName(), uri());
        return this;
    }

    /** Returns the port listened on (the one chosen by the system when 0 was asked for). */
    public int port() {
        return app.port();
    }

    /** Returns the page's address, such as {@code http://127.0.0.1:8080/}. */
    public URI uri() {
        String host = bind.contains(":") ? "[" + bind + "]" : bind;
        return URI.create("http://" + host + ":" + port() + "/");
    }

    /** Returns how many uploaded searches wait right now: being decoded, or decoded and waiting for the network. */
    public int searchesWaiting() {
        return searches.waiting();
    }

    /**
     * Waits until {@link #close()} has stopped the server (from another thread or a shutdown hook).
     *
     * @throws InterruptedException if the waiting thread is interrupted
     */
    public void awaitStop() throws InterruptedException {
        try {
            stopped.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /**
     * Stops gracefully: new API calls get 503, requests in flight finish (up to the stop timeout), then the queues,
     * the worker threads and the upload folder go. Safe to call more than once.
     */
    @Override
    public synchronized void close() {
        if (stopped.isDone()) {
            return;
        }
        stopping = true;
        try {
            app.stop();
        } finally {
            searches.close();
            classifications.shutdown();
            deleteUploads();
            stopped.complete(null);
            LOG.info("stopped");
        }
    }

    private Javalin createApp(Builder b) {
        Javalin javalin = Javalin.create(config -> {
            config.showJavalinBanner = false;
            config.http.maxRequestSize = FORM_OVERHEAD_BYTES;
            config.jetty.multipartConfig.cacheDirectory(uploads.toString());
            config.jetty.multipartConfig.maxFileSize(maxUploadBytes, SizeUnit.BYTES);
            config.jetty.multipartConfig.maxTotalRequestSize(maxUploadBytes + FORM_OVERHEAD_BYTES, SizeUnit.BYTES);
            config.jetty.multipartConfig.maxInMemoryFileSize(64, SizeUnit.KB);
            QueuedThreadPool threads = new QueuedThreadPool(b.maxThreads, 4, 60_000);
            threads.setName("cnnkit-serve-http");
            config.jetty.threadPool = threads;
            config.jetty.modifyServer(server -> server.setStopTimeout(b.stopTimeout.toMillis()));
            config.jetty.modifyHttpConfiguration(http -> http.setSendServerVersion(false));
            config.jetty.addConnector((server, http) -> {
                ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
                connector.setHost(bind);
                connector.setPort(requestedPort);
                connector.setIdleTimeout(requestTimeout.toMillis());
                return connector;
            });
            config.staticFiles.add(files -> {
                files.hostedPath = "/";
                files.directory = PAGE;
                files.location = Location.CLASSPATH;
                files.headers = securityHeaders(Map.of("Cache-Control", "no-cache"));
            });
        });
        javalin.before(ctx -> securityHeaders(Map.of()).forEach(ctx::header));
        javalin.before("/api/*", this::checkRequest);
        javalin.get("/api/health", this::health);
        javalin.get("/api/stats", this::stats);
        javalin.post("/api/search", this::searchUpload);
        javalin.get("/api/search", this::searchById);
        javalin.post("/api/classify", this::classify);
        javalin.get("/api/images/{key}", this::image);
        javalin.get("/api/images/{key}/thumbnail", this::thumbnail);
        javalin.exception(HttpResponseException.class, this::failure);
        javalin.exception(Exception.class, this::failure);
        javalin.error(404, ctx -> {
            if (ctx.result() == null) {
                error(ctx, 404, "not found: " + ctx.path());
            }
        });
        javalin.error(405, ctx -> error(ctx, 405, ctx.method() + " is not allowed on " + ctx.path()));
        return javalin;
    }

    private static Map<String, String> securityHeaders(Map<String, String> more) {
        Map<String, String> headers = new LinkedHashMap<>(more);
        headers.put("X-Content-Type-Options", "nosniff");
        headers.put("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        headers.put("Referrer-Policy", "no-referrer");
        headers.put("X-Frame-Options", "DENY");
        return headers;
    }

    private void checkRequest(Context ctx) {
        ctx.header("Cache-Control", "no-store");
        if (token.isPresent() && !token.get().accepts(ctx.header("Authorization"))) {
            ctx.header("WWW-Authenticate", "Bearer");
            throw new UnauthorizedResponse("this server needs a token: send the header 'Authorization: Bearer TOKEN'");
        }
        if (stopping && !ctx.path().equals("/api/health")) {
            ctx.header("Retry-After", "5");
            throw new HttpResponseException(503, "the server is shutting down");
        }
        long length = ctx.req().getContentLengthLong();
        if (length > maxUploadBytes + FORM_OVERHEAD_BYTES) {
            ctx.header("Connection", "close");
            throw new ContentTooLargeResponse(tooLarge());
        }
    }

    private String tooLarge() {
        return "the upload is larger than the limit of " + maxUploadBytes + " bytes ("
                + String.format(Locale.ROOT, "%.1f", maxUploadBytes / 1048576.0) + " MB)";
    }

    private void health(Context ctx) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", stopping ? "stopping" : "ok");
        body.put("images", catalog.size());
        ctx.status(stopping ? 503 : 200).json(body);
    }

    private void stats(Context ctx) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("images", catalog.size());
        body.put("dimension", catalog.dimension());
        body.put("metric", catalog.metric());
        body.put("extractor", catalog.extractor().name());
        body.put("extractor_identity", catalog.extractor().identity().describe());
        body.put("store", catalog.storeName());
        body.put("classifier", classifier.map(c -> Map.of("labels", c.classNames())).orElse(null));
        body.put("max_upload_bytes", maxUploadBytes);
        body.put("max_top", MAX_TOP);
        body.put("default_top", DEFAULT_TOP);
        body.put("searches_waiting", searches.waiting());
        body.put("search_batches", searches.batches());
        body.put("batched_searches", searches.batchedSearches());
        ctx.json(body);
    }

    private void searchUpload(Context ctx) throws Exception {
        UploadedFile part = imagePart(ctx);
        String name = nameOf(part);
        int top = top(ctx);
        long start = System.nanoTime();
        // the part stays readable until this request ends, and this thread waits for the search's answer
        List<Match> matches = await(searches.submit(() -> {
            try (InputStream in = part.content()) {
                return in.readAllBytes();
            }
        }, top), name);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("query", Map.of("name", name));
        body.put("top", top);
        body.put("took_ms", (System.nanoTime() - start) / 1e6);
        body.put("results", results(matches));
        ctx.json(body);
    }

    private void searchById(Context ctx) {
        String id = ctx.queryParam("id");
        if (id == null || id.isBlank()) {
            throw new BadRequestResponse("give the indexed image to search with: GET /api/search?id=ID&top=N, "
                    + "or POST an image as multipart/form-data (part 'image')");
        }
        if (!catalog.contains(id)) {
            throw new NotFoundResponse("no indexed image has the id '" + id + "'");
        }
        int top = top(ctx);
        long start = System.nanoTime();
        List<Match> matches = catalog.searchById(id, top);
        Map<String, Object> body = new LinkedHashMap<>();
        Map<String, Object> query = new LinkedHashMap<>(item(id));
        body.put("query", query);
        body.put("top", top);
        body.put("took_ms", (System.nanoTime() - start) / 1e6);
        body.put("results", results(matches));
        ctx.json(body);
    }

    private void classify(Context ctx) throws Exception {
        ImageClassifier model = classifier.orElseThrow(() -> new NotFoundResponse(
                "no classifier: start 'cnnkit serve' with --model MODEL to classify images"));
        Upload upload = receive(ctx);
        try {
            int top = Math.min(top(ctx, 5), model.numClasses());
            Future<Prediction> prediction = classifications.submit(() -> model.predict(upload.file(), top));
            Prediction result = await(prediction, upload.name());
            List<Map<String, Object>> labels = new ArrayList<>();
            for (ScoredLabel label : result.top()) {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("label", label.label());
                entry.put("index", label.index());
                entry.put("probability", label.probability());
                labels.add(entry);
            }
            ctx.json(Map.of("query", Map.of("name", upload.name()), "predictions", labels));
        } finally {
            upload.delete();
        }
    }

    private void image(Context ctx) throws IOException {
        Path file = indexedFile(ctx);
        ctx.header("Cache-Control", "private, max-age=3600");
        ctx.contentType(contentTypeOf(file));
        InputStream in = Files.newInputStream(file);
        ctx.result(in);
    }

    private void thumbnail(Context ctx) {
        Path file = indexedFile(ctx);
        byte[] jpeg;
        try {
            jpeg = thumbnails.of(file);
        } catch (ImageDecodingException e) {
            throw new NotFoundResponse("the indexed image can no longer be read");
        }
        ctx.header("Cache-Control", "private, max-age=3600");
        ctx.contentType("image/jpeg").result(jpeg);
    }

    /** The file of the id a request names by key; 404 for anything that is not a stored id with a readable file. */
    private Path indexedFile(Context ctx) {
        return ImageKey.idOf(ctx.pathParam("key")).flatMap(catalog::fileOf)
                .orElseThrow(() -> new NotFoundResponse("no indexed image has this id"));
    }

    private static String contentTypeOf(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".jpg") || name.endsWith(".jpeg")) {
            return "image/jpeg";
        }
        for (String type : List.of("png", "gif", "bmp")) {
            if (name.endsWith("." + type)) {
                return "image/" + type;
            }
        }
        return "application/octet-stream";
    }

    private List<Map<String, Object>> results(List<Match> matches) {
        List<Map<String, Object>> results = new ArrayList<>(matches.size());
        int rank = 1;
        for (Match match : matches) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("rank", rank++);
            entry.putAll(item(match.id()));
            entry.put("distance", match.distance());
            results.add(entry);
        }
        return results;
    }

    private static Map<String, Object> item(String id) {
        Map<String, Object> entry = new LinkedHashMap<>();
        String key = ImageKey.of(id);
        entry.put("id", id);
        entry.put("name", ImageCatalog.displayName(id));
        entry.put("image", "api/images/" + key);
        entry.put("thumbnail", "api/images/" + key + "/thumbnail");
        return entry;
    }

    private int top(Context ctx) {
        return top(ctx, DEFAULT_TOP);
    }

    private static int top(Context ctx, int fallback) {
        String text = Optional.ofNullable(ctx.queryParam("top")).orElseGet(() -> ctx.isMultipartFormData()
                ? ctx.formParam("top") : null);
        if (text == null || text.isBlank()) {
            return fallback;
        }
        try {
            int top = Integer.parseInt(text.trim());
            if (top >= 1 && top <= MAX_TOP) {
                return top;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new BadRequestResponse("top must be a whole number from 1 to " + MAX_TOP + ", got '" + text + "'");
    }

    /** The multipart part {@code image}, checked: present, within the limits, not empty. */
    private UploadedFile imagePart(Context ctx) {
        if (!ctx.isMultipartFormData()) {
            throw new BadRequestResponse("send the image as multipart/form-data, in a part named 'image'");
        }
        UploadedFile part;
        try {
            part = ctx.uploadedFile("image");
        } catch (Exception e) {
            if (isMultipartLimit(e)) {
                ctx.header("Connection", "close");
                throw new ContentTooLargeResponse(tooLarge());
            }
            throw new BadRequestResponse("the multipart form cannot be read: " + describeFormError(e));
        }
        if (part == null) {
            throw new BadRequestResponse("the form has no file part named 'image'");
        }
        if (part.size() == 0) {
            throw new BadRequestResponse("the uploaded file '" + nameOf(part) + "' is empty");
        }
        return part;
    }

    private static String nameOf(UploadedFile part) {
        return part.filename() == null || part.filename().isBlank() ? "upload" : displayName(part.filename());
    }

    /** Saves the multipart part {@code image} to a file of its own in the upload folder. */
    private Upload receive(Context ctx) {
        UploadedFile part = imagePart(ctx);
        try {
            Path file = Files.createTempFile(uploads, "query-", ".upload");
            try (InputStream in = part.content()) {
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            }
            return new Upload(file, nameOf(part));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store the upload", e);
        }
    }

    /** Jetty's message for a bad charset is the charset's name alone: say what it is. */
    private static String describeFormError(Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IllegalCharsetNameException bad) {
                return "a part names the invalid charset '" + bad.getCharsetName() + "'";
            }
            if (t instanceof UnsupportedCharsetException unknown) {
                return "a part names the unsupported charset '" + unknown.getCharsetName() + "'";
            }
        }
        return e.getMessage();
    }

    private static String displayName(String name) {
        String base = ImageCatalog.displayName(name);
        return base.length() > 200 ? base.substring(0, 200) : base;
    }

    /** Waits for queued work up to the request timeout; failures come back as the exception they were. */
    private <T> T await(Future<T> future, String uploadName) throws Exception {
        try {
            return future.get(requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(false);
            throw new RejectedExecutionException("the request waited longer than "
                    + requestTimeout.toSeconds() + " s for its turn");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ImageDecodingException decoding) {
                throw new BadRequestResponse(describeUnreadable(decoding, uploadName));
            }
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    private static String describeUnreadable(ImageDecodingException e, String uploadName) {
        String prefix = "cannot decode image " + e.path() + ": ";
        String message = e.getMessage();
        String reason = message.startsWith(prefix) ? message.substring(prefix.length()) : message;
        return "the uploaded file '" + uploadName + "' is not a usable image: " + reason;
    }

    private void failure(Exception e, Context ctx) {
        if (e instanceof HttpResponseException response) {
            error(ctx, response.getStatus(), response.getMessage());
        } else if (e instanceof RejectedExecutionException) {
            ctx.header("Retry-After", "1");
            error(ctx, 503, "busy: " + e.getMessage());
        } else if (isMultipartLimit(e)) {
            ctx.header("Connection", "close");
            error(ctx, 413, tooLarge());
        } else if (e instanceof ImageDecodingException decoding) {
            error(ctx, 400, decoding.getMessage());
        } else if (e instanceof CnnkitException) {
            error(ctx, 400, e.getMessage());
        } else {
            LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
            error(ctx, 500, "internal error: " + e.getClass().getSimpleName());
        }
    }

    /** Jetty reports a multipart part or form over its configured limits as an IllegalStateException. */
    private static boolean isMultipartLimit(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
            if ((t instanceof IllegalStateException || t instanceof IOException)
                    && (message.contains("exceeds max") || message.contains("too large")
                    || message.contains("exceeds the max"))) {
                return true;
            }
        }
        return false;
    }

    private static void error(Context ctx, int status, String message) {
        ctx.status(status).json(Map.of("error", message == null ? "error" : message));
    }

    private void deleteUploads() {
        try (Stream<Path> files = Files.walk(uploads)) {
            files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
        } catch (IOException e) {
            LOG.warn("cannot delete the upload folder {}: {}", uploads, e.getMessage());
        }
    }

    private static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private record Upload(Path file, String name) {
        void delete() {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                LOG.warn("cannot delete the upload {}: {}", file, e.getMessage());
            }
        }
    }

    /** Builds a {@link SearchServer}; {@code setX} required, {@code optX} optional with the defaults given. */
    public static final class Builder {

        private ImageSearch search;
        private String storeName;
        private ImageClassifier classifier;
        private String bind = "127.0.0.1";
        private int port = 8080;
        private String token;
        private long maxUploadBytes = 20L * 1024 * 1024;
        private int maxBatch = 16;
        private int queueCapacity = 64;
        private int maxThreads = 64;
        private Duration requestTimeout = Duration.ofSeconds(30);
        private Duration stopTimeout = Duration.ofSeconds(30);

        private Builder() {
        }

        /**
         * Sets what to search: the extractor describes uploaded queries, the store holds the vectors, and its root
         * locates the image files ({@code ImageSearch.withRoot} points it elsewhere). The server does not
         * close it.
         *
         * @param search the search
         * @return this builder
         */
        public Builder setSearch(ImageSearch search) {
            this.search = Objects.requireNonNull(search, "search");
            return this;
        }

        /**
         * Sets how the store is shown on the page and in {@code /api/stats}, such as {@code exact:photos.cfi};
         * by default the store's own description.
         *
         * @param storeName the description
         * @return this builder
         */
        public Builder optStoreName(String storeName) {
            this.storeName = Objects.requireNonNull(storeName, "storeName");
            return this;
        }

        /**
         * Sets a classifier: {@code POST /api/classify} and the page's labels for the query.
         *
         * @param classifier the model
         * @return this builder
         */
        public Builder optClassifier(ImageClassifier classifier) {
            this.classifier = classifier;
            return this;
        }

        /**
         * Sets the address to listen on. Default {@code 127.0.0.1}: only this machine; any other address logs a
         * warning when the server starts.
         *
         * @param bind an IP address or host name
         * @return this builder
         */
        public Builder optBind(String bind) {
            this.bind = Objects.requireNonNull(bind, "bind");
            return this;
        }

        /**
         * Sets the port; 0 picks a free one ({@link SearchServer#port()} tells which). Default 8080.
         *
         * @param port the port
         * @return this builder
         */
        public Builder optPort(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be from 0 to 65535, got " + port);
            }
            this.port = port;
            return this;
        }

        /**
         * Sets the bearer token every {@code /api/} call must carry; none by default.
         *
         * @param token the token, or null for none
         * @return this builder
         */
        public Builder optToken(String token) {
            this.token = token;
            return this;
        }

        /**
         * Sets the largest upload accepted; larger ones get 413. Default 20 MB.
         *
         * @param bytes the limit in bytes
         * @return this builder
         */
        public Builder optMaxUploadBytes(long bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("the upload limit must be positive, got " + bytes);
            }
            this.maxUploadBytes = bytes;
            return this;
        }

        /**
         * Sets how many queued uploaded queries go through the extractor as one batch. Default 16.
         *
         * @param maxBatch the batch size, at least 1
         * @return this builder
         */
        public Builder optMaxBatch(int maxBatch) {
            this.maxBatch = requirePositive(maxBatch, "batch size");
            return this;
        }

        /**
         * Sets how many searches (and, separately, classifications) may wait; beyond it requests get 503 with
         * {@code Retry-After}. Default 64.
         *
         * @param capacity the queue capacity
         * @return this builder
         */
        public Builder optQueueCapacity(int capacity) {
            this.queueCapacity = requirePositive(capacity, "queue capacity");
            return this;
        }

        /**
         * Sets the most HTTP worker threads, which bounds the uploads received at once. Default 64.
         *
         * @param threads the thread count, at least 8
         * @return this builder
         */
        public Builder optMaxThreads(int threads) {
            if (threads < 8) {
                throw new IllegalArgumentException("the server needs at least 8 threads, got " + threads);
            }
            this.maxThreads = threads;
            return this;
        }

        /**
         * Sets the request timeout: an idle connection is closed after it, and a search waiting longer for its turn
         * gets 503. Default 30 s.
         *
         * @param timeout the timeout
         * @return this builder
         */
        public Builder optRequestTimeout(Duration timeout) {
            this.requestTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * Sets how long {@link SearchServer#close()} lets requests in flight finish. Default 30 s.
         *
         * @param timeout the timeout
         * @return this builder
         */
        public Builder optStopTimeout(Duration timeout) {
            this.stopTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * Builds the server (not started yet).
         *
         * @return the server
         * @throws IllegalStateException if the search is missing
         */
        public SearchServer build() {
            if (search == null) {
                throw new IllegalStateException("setSearch is required");
            }
            return new SearchServer(this);
        }

        private static int requirePositive(int value, String what) {
            if (value < 1) {
                throw new IllegalArgumentException(what + " must be at least 1, got " + value);
            }
            return value;
        }
    }
}
