package org.cnnkit.zoo.weights;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.OptionalLong;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.core.progress.ProgressTracker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds a pretrained weights file: an explicit file, else the cache folder, else a download into the cache.
 *
 * <p>The cache folder is {@code ~/.cnnkit/models} unless the builder or the system property {@value #CACHE_PROPERTY}
 * names another. A download goes over HTTP(S) ({@link java.net.http.HttpClient}) into a temporary file in the cache
 * folder while its SHA-256 is computed and its progress reported; it is then checked and moved atomically to its final
 * name, so that the cache never holds a partial file. Checks: the length must equal the server's
 * {@code Content-Length}; the SHA-256 must equal the source's checksum when one is known (a mismatch deletes the
 * temporary file and names both values); without a checksum an {@code .h5} file must start with the HDF5 signature
 * and the computed SHA-256 is logged so that a user can pin it ({@link WeightsSource#withSha256(String)}). A failed
 * connection is retried once; then a {@link CnnkitException} names the file, the URL to fetch it by hand and the
 * folder to put it in.
 *
 * <p>A cached file is trusted as it is (it was checked when it was downloaded). Instances are immutable and
 * thread-safe; concurrent downloads of one file each write their own temporary file and the last move wins.
 */
public final class PretrainedWeights {

    /** The system property that overrides the default cache folder. */
    public static final String CACHE_PROPERTY = "cnnkit.models";

    private static final Logger LOG = LoggerFactory.getLogger(PretrainedWeights.class);
    private static final byte[] HDF5_SIGNATURE = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    private static final int ATTEMPTS = 2;

    private final Path cacheDir;
    private final ProgressListener progressListener;
    private final Duration timeout;

    private PretrainedWeights(Builder builder) {
        this.cacheDir = builder.cacheDir != null ? builder.cacheDir : defaultCacheDir();
        this.progressListener = builder.progressListener;
        this.timeout = builder.timeout;
    }

    /**
     * Returns a builder with the default cache folder, no progress listener and a 30-second connect timeout.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the default cache folder: the system property {@value #CACHE_PROPERTY} if set, else
     * {@code ~/.cnnkit/models}.
     *
     * @return the folder (it may not exist yet)
     */
    public static Path defaultCacheDir() {
        String property = System.getProperty(CACHE_PROPERTY);
        if (property != null && !property.isBlank()) {
            return Path.of(property);
        }
        return Path.of(System.getProperty("user.home"), ".cnnkit", "models");
    }

    /** {@return the cache folder} */
    public Path cacheDir() {
        return cacheDir;
    }

    /**
     * Returns the path the source has in the cache folder, whether or not it is there.
     *
     * @param source the weights source
     * @return {@code cacheDir().resolve(source.fileName())}
     */
    public Path cachedPath(WeightsSource source) {
        return cacheDir.resolve(source.fileName());
    }

    /**
     * Returns an explicitly given weights file after checking that it exists.
     *
     * @param file the file a user named
     * @return the file
     * @throws CnnkitException if it is not an existing regular file
     */
    public Path resolve(Path file) {
        Objects.requireNonNull(file, "file");
        if (!Files.isRegularFile(file)) {
            throw new CnnkitException("weights file not found: " + file.toAbsolutePath());
        }
        return file;
    }

    /**
     * Returns the cached file of the source, downloading it first when it is not in the cache.
     *
     * @param source the weights source
     * @return the file in the cache folder
     * @throws CnnkitException if the download fails (offline, HTTP error, wrong length, checksum mismatch, not
     *     HDF5); the message says where to download the file by hand and where to put it
     */
    public Path resolve(WeightsSource source) {
        Objects.requireNonNull(source, "source");
        Path target = cachedPath(source);
        if (Files.isRegularFile(target)) {
            LOG.debug("using cached weights {}", target);
            return target;
        }
        try {
            Files.createDirectories(cacheDir);
        } catch (IOException e) {
            throw new CnnkitException("cannot create the weights cache folder " + cacheDir + ": " + e.getMessage(), e);
        }
        IOException last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try {
                download(source, target);
                return target;
            } catch (IOException e) {
                last = e;
                LOG.warn("download of {} failed (attempt {} of {}): {}", source.url(), attempt, ATTEMPTS, e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CnnkitException("download of " + source.fileName() + " interrupted", e);
            }
        }
        throw new CnnkitException("cannot download " + source.fileName() + " (" + describe(last) + "). Are you"
                + " offline? Download it by hand from " + source.url() + " and put it in " + cacheDir.toAbsolutePath()
                + " (or pass the file explicitly)", last);
    }

    private void download(WeightsSource source, Path target) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder()
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
        HttpRequest request = HttpRequest.newBuilder(source.url()).timeout(timeout).GET().build();
        LOG.info("downloading {} from {}", source.fileName(), source.url());
        HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        Path temp = Files.createTempFile(cacheDir, source.fileName() + ".", ".part");
        boolean moved = false;
        try (InputStream body = response.body()) {
            if (response.statusCode() != 200) {
                throw new CnnkitException("cannot download " + source.fileName() + ": " + source.url()
                        + " answered HTTP " + response.statusCode() + ". Download it by hand and put it in "
                        + cacheDir.toAbsolutePath());
            }
            OptionalLong length = response.headers().firstValueAsLong("Content-Length");
            MessageDigest digest = sha256();
            byte[] head = new byte[HDF5_SIGNATURE.length];
            long written = 0;
            ProgressTracker tracker = ProgressTracker.start("downloading " + source.fileName(),
                    length.orElse(-1), progressListener);
            try (OutputStream out = Files.newOutputStream(temp)) {
                byte[] buffer = new byte[1 << 16];
                for (int n; (n = body.read(buffer)) >= 0; ) {
                    if (written < head.length) {
                        System.arraycopy(buffer, 0, head, (int) written, (int) Math.min(n, head.length - written));
                    }
                    out.write(buffer, 0, n);
                    digest.update(buffer, 0, n);
                    written += n;
                    tracker.advance(n);
                }
            }
            tracker.finish();
            if (length.isPresent() && length.getAsLong() != written) {
                throw new IOException("connection closed after " + written + " of " + length.getAsLong() + " bytes");
            }
            String actual = HexFormat.of().formatHex(digest.digest());
            check(source, actual, head, written);
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            moved = true;
            LOG.info("downloaded {} ({} bytes, SHA-256 {}) into {}", source.fileName(), written, actual, cacheDir);
        } finally {
            if (!moved) {
                Files.deleteIfExists(temp);
            }
        }
    }

    private static void check(WeightsSource source, String actual, byte[] head, long written) {
        if (source.sha256().isPresent()) {
            if (!source.sha256().get().equals(actual)) {
                throw new CnnkitException("checksum mismatch for " + source.fileName() + " downloaded from "
                        + source.url() + ": expected SHA-256 " + source.sha256().get() + ", got " + actual
                        + "; the download was deleted");
            }
            return;
        }
        if (source.fileName().endsWith(".h5") && (written < head.length || !Arrays.equals(head, HDF5_SIGNATURE))) {
            throw new CnnkitException("the download of " + source.fileName() + " from " + source.url()
                    + " is not an HDF5 file; it was deleted");
        }
        LOG.info("no published checksum for {}: its SHA-256 is {} (pin it with WeightsSource.withSha256)",
                source.fileName(), actual);
    }

    private static String describe(IOException e) {
        if (e == null) {
            return "unknown error";
        }
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null || message.isBlank() ? "" : ": " + message);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    /** Builds a {@link PretrainedWeights}; every setting is optional. */
    public static final class Builder {

        private Path cacheDir;
        private ProgressListener progressListener = ProgressListener.none();
        private Duration timeout = Duration.ofSeconds(30);

        private Builder() {
        }

        /**
         * Sets the cache folder (default: {@link #defaultCacheDir()}).
         *
         * @param cacheDir the folder; created when a file is downloaded
         * @return this builder
         */
        public Builder optCacheDir(Path cacheDir) {
            this.cacheDir = Objects.requireNonNull(cacheDir, "cacheDir");
            return this;
        }

        /**
         * Sets the listener that receives download progress in bytes.
         *
         * @param progressListener the listener
         * @return this builder
         */
        public Builder optProgressListener(ProgressListener progressListener) {
            this.progressListener = Objects.requireNonNull(progressListener, "progressListener");
            return this;
        }

        /**
         * Sets the timeout for connecting and for the response headers (default 30 s); reading the body has no
         * time limit.
         *
         * @param timeout a positive duration
         * @return this builder
         */
        public Builder optTimeout(Duration timeout) {
            this.timeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * Returns the resolver.
         *
         * @return the resolver
         * @throws IllegalArgumentException if the timeout is not positive
         */
        public PretrainedWeights build() {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout must be positive, got " + timeout);
            }
            return new PretrainedWeights(this);
        }
    }
}
