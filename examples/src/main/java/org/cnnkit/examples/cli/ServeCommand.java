package org.cnnkit.examples.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.examples.serve.SearchServer;
import org.cnnkit.retrieval.ImageSearch;
import org.cnnkit.retrieval.store.StoreSpec;
import org.cnnkit.zoo.ImageClassifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code serve}: the image search web page and JSON API (see {@code docs/serve.md}) until the process is stopped
 * (Ctrl+C or SIGTERM; requests in flight finish first).
 *
 * <p>Report keys (written when the server stops): {@code url}, {@code bind}, {@code port}, {@code store},
 * {@code root}, {@code images}, {@code extractor}, {@code classifier}, {@code token}.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serves the image search web page and its JSON API over an index, until stopped.")
public final class ServeCommand extends CliCommand {

    /** The environment variable that holds the API token when --token-file is not given. */
    static final String TOKEN_VARIABLE = "CNNKIT_TOKEN";

    @Option(names = "--index", paramLabel = "INDEX", description = "An index file written by 'index' (short for "
            + "--store exact:INDEX).")
    private Path index;

    @Mixin
    private StoreSelection stores;

    @Option(names = "--model", paramLabel = "MODEL",
            description = "A classifier written by train: the page also shows its labels for the query.")
    private Path model;

    @Option(names = "--root", paramLabel = "DIR",
            description = "Resolve the stored image paths against DIR instead of the root the store records.")
    private Path root;

    @Option(names = "--port", paramLabel = "N", defaultValue = "8080", description = "Default: ${DEFAULT-VALUE}.")
    private int port;

    @Option(names = "--bind", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "The address to listen on. Default: ${DEFAULT-VALUE} (this machine only); "
                    + "another address logs a warning.")
    private String bind;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "A file holding the bearer token every API call must carry. Without it, the token comes "
                    + "from the environment variable " + TOKEN_VARIABLE + " if set; otherwise there is none.")
    private Path tokenFile;

    @Option(names = "--max-upload-mb", paramLabel = "MB", defaultValue = "20",
            description = "The largest upload accepted (larger: 413). Default: ${DEFAULT-VALUE}.")
    private int maxUploadMb;

    @Option(names = "--queue", paramLabel = "N", defaultValue = "64",
            description = "Searches that may wait; beyond it 503 with Retry-After. Default: ${DEFAULT-VALUE}.")
    private int queue;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "16",
            description = "Waiting uploads extracted as one batch. Default: ${DEFAULT-VALUE}.")
    private int batch;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "Request timeout: idle connections close, waiting searches get 503. "
                    + "Default: ${DEFAULT-VALUE}.")
    private int timeoutSeconds;

    /** Creates the command; picocli fills in its options. */
    public ServeCommand() {
    }

    @Override
    protected void run(Report report) throws InterruptedException {
        if (port < 0 || port > 65535) {
            throw usageError("--port must be from 0 to 65535, got " + port);
        }
        if (maxUploadMb < 1 || queue < 1 || batch < 1 || timeoutSeconds < 1) {
            throw usageError("--max-upload-mb, --queue, --batch and --timeout must be at least 1");
        }
        StoreSpec spec = stores.spec(index, "--index").orElseThrow(() -> usageError("give --store SPEC or --index FILE"));
        String token = token();
        ImageClassifier classifier = model == null ? null : ImageClassifier.load(model);
        try (ImageSearch opened = ImageSearch.open(spec, stores.options().build(), progress())) {
            ImageSearch search = root == null ? opened : opened.withRoot(root);
            serve(report, spec, search, classifier, token);
        }
    }

    private void serve(Report report, StoreSpec spec, ImageSearch search, ImageClassifier classifier, String token)
            throws InterruptedException {
        SearchServer server;
        try {
            server = SearchServer.builder().setSearch(search).optStoreName(spec.toString()).optClassifier(classifier)
                    .optBind(bind).optPort(port).optToken(token).optMaxUploadBytes(maxUploadMb * 1024L * 1024L)
                    .optQueueCapacity(queue).optMaxBatch(batch).optRequestTimeout(Duration.ofSeconds(timeoutSeconds))
                    .build();
        } catch (NoClassDefFoundError e) {
            throw new CnnkitException("cnnkit serve needs io.javalin:javalin on the class path (" + e.getMessage()
                    + ")", e);
        }
        server.start();
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "cnnkit-serve-shutdown"));
        out().println("cnnkit serve: " + search.store().size() + " images on " + server.uri()
                + (token == null ? "" : " (API token required)") + "; Ctrl+C stops");
        out().flush();
        report.put("url", server.uri().toString());
        report.put("bind", bind);
        report.put("port", server.port());
        report.put("store", spec.toString());
        search.root().ifPresent(folder -> report.put("root", folder));
        report.put("images", search.store().size());
        report.put("extractor", search.extractor().name());
        report.put("classifier", model == null ? null : model.toAbsolutePath().normalize().toString());
        report.put("token", token != null);
        server.awaitStop();
    }

    private String token() {
        String token;
        if (tokenFile != null) {
            try {
                token = Files.readString(tokenFile, StandardCharsets.UTF_8).trim();
            } catch (IOException e) {
                throw new CnnkitException("cannot read the token file " + tokenFile + ": " + e.getMessage(), e);
            }
            if (token.isEmpty()) {
                throw new CnnkitException("the token file " + tokenFile + " is empty");
            }
            return token;
        }
        token = System.getenv(TOKEN_VARIABLE);
        return token == null || token.isBlank() ? null : token.trim();
    }
}
