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
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code serve}: the image search web page and JSON API (see {@code docs/serve.md}) until the process is stopped
 * (Ctrl+C or SIGTERM; requests in flight finish first).
 *
 * <p>Report keys (written when the server stops): {@code url}, {@code bind}, {@code port}, {@code store},
 * {@code images}, {@code extractor}, {@code classifier}, {@code token}.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serves the image search web page and its JSON API over an index, until stopped.")
public final class ServeCommand extends CliCommand {

    /** The environment variable that holds the API token when --token-file is not given. */
    static final String TOKEN_VARIABLE = "CNNKIT_TOKEN";

    @ArgGroup(exclusive = true, multiplicity = "1")
    private Source source;

    @Option(names = "--model", paramLabel = "MODEL",
            description = "A classifier written by train: the page also shows its labels for the query.")
    private Path model;

    @Option(names = "--root", paramLabel = "DIR",
            description = "The folder that relative ids in the store are resolved against.")
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

    /** Where the vectors come from: an index file or a store spec. */
    static final class Source {
        @Option(names = "--index", paramLabel = "INDEX", description = "An index written by 'index'.")
        Path index;

        @Option(names = "--store", paramLabel = "SPEC", description = "A store: exact:FILE.")
        String store;
    }

    @Override
    protected void run(Report report) throws InterruptedException {
        if (port < 0 || port > 65535) {
            throw usageError("--port must be from 0 to 65535, got " + port);
        }
        if (maxUploadMb < 1 || queue < 1 || batch < 1 || timeoutSeconds < 1) {
            throw usageError("--max-upload-mb, --queue, --batch and --timeout must be at least 1");
        }
        Path indexFile = indexFile();
        String token = token();
        ImageSearch search = ImageSearch.open(indexFile, progress());
        ImageClassifier classifier = model == null ? null : ImageClassifier.load(model);
        String store = "exact:" + indexFile.toAbsolutePath().normalize();
        SearchServer server;
        try {
            server = SearchServer.builder().setExtractor(search.extractor()).setIndex(search.index())
                    .optRoot(root).optStoreName(store).optClassifier(classifier).optBind(bind).optPort(port)
                    .optToken(token).optMaxUploadBytes(maxUploadMb * 1024L * 1024L).optQueueCapacity(queue)
                    .optMaxBatch(batch).optRequestTimeout(Duration.ofSeconds(timeoutSeconds)).build();
        } catch (NoClassDefFoundError e) {
            throw new CnnkitException("cnnkit serve needs io.javalin:javalin on the class path (" + e.getMessage()
                    + ")", e);
        }
        server.start();
        Thread stopper = new Thread(server::close, "cnnkit-serve-shutdown");
        Runtime.getRuntime().addShutdownHook(stopper);
        out().println("cnnkit serve: " + search.index().size() + " images on " + server.uri()
                + (token == null ? "" : " (API token required)") + "; Ctrl+C stops");
        out().flush();
        report.put("url", server.uri().toString());
        report.put("bind", bind);
        report.put("port", server.port());
        report.put("store", store);
        report.put("images", search.index().size());
        report.put("extractor", search.extractor().name());
        report.put("classifier", model == null ? null : model.toAbsolutePath().normalize().toString());
        report.put("token", token != null);
        server.awaitStop();
    }

    private Path indexFile() {
        if (source.index != null) {
            return source.index;
        }
        StoreSpec spec = StoreSpec.parse(source.store);
        if (spec.kind() != StoreSpec.Kind.EXACT) {
            throw usageError("--store " + spec + ": this build serves exact:FILE stores only");
        }
        return Path.of(spec.location());
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
