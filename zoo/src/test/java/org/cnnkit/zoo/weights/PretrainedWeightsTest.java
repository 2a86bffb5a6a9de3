package org.cnnkit.zoo.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.progress.Progress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PretrainedWeightsTest {

    private static final byte[] HDF5_SIGNATURE = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

    @TempDir
    Path cache;

    private HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.stop(0);
        }
    }

    private URI serve(String path, HttpHandler handler) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext(path, exchange -> {
            requests.incrementAndGet();
            handler.handle(exchange);
        });
        server.start();
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    private static HttpHandler bytes(byte[] content) {
        return exchange -> {
            exchange.sendResponseHeaders(200, content.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(content);
            }
        };
    }

    private static byte[] fakeHdf5(int size) {
        byte[] content = new byte[size];
        new Random(7).nextBytes(content);
        System.arraycopy(HDF5_SIGNATURE, 0, content, 0, HDF5_SIGNATURE.length);
        return content;
    }

    private static String sha256(byte[] content) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    }

    private PretrainedWeights resolver(List<Progress> progress) {
        return PretrainedWeights.builder().optCacheDir(cache).optTimeout(Duration.ofSeconds(5))
                .optProgressListener(progress::add).build();
    }

    @Test
    void downloadsIntoTheCacheWithProgressAndTheSecondResolveMakesNoRequest() throws Exception {
        byte[] content = fakeHdf5(300_000);
        URI url = serve("/weights.h5", bytes(content));
        WeightsSource source = WeightsSource.of("weights.h5", url).withSha256(sha256(content));
        List<Progress> progress = new CopyOnWriteArrayList<>();

        Path file = resolver(progress).resolve(source);

        assertThat(file).isEqualTo(cache.resolve("weights.h5"));
        assertThat(Files.readAllBytes(file)).isEqualTo(content);
        assertThat(progress).last().satisfies(p -> {
            assertThat(p.done()).isEqualTo(content.length);
            assertThat(p.total()).isEqualTo(content.length);
        });
        assertThat(resolver(progress).resolve(source)).isEqualTo(file);
        assertThat(requests.get()).isEqualTo(1);
        try (var files = Files.list(cache)) {
            assertThat(files).containsExactly(file);
        }
    }

    @Test
    void withoutAChecksumAnHdf5DownloadIsAcceptedAndANonHdf5OneIsDeleted() throws Exception {
        URI url = serve("/", exchange -> bytes(exchange.getRequestURI().getPath().endsWith("good.h5")
                ? fakeHdf5(1000) : "<html>not found</html>".getBytes()).handle(exchange));
        assertThat(resolver(new CopyOnWriteArrayList<>()).resolve(WeightsSource.of("good.h5", url.resolve("/good.h5"))))
                .exists();
        assertThatThrownBy(() -> resolver(new CopyOnWriteArrayList<>())
                .resolve(WeightsSource.of("bad.h5", url.resolve("/bad.h5"))))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining("not an HDF5 file");
        try (var files = Files.list(cache)) {
            assertThat(files).containsExactly(cache.resolve("good.h5"));
        }
    }

    @Test
    void checksumMismatchNamesBothValuesAndLeavesNoFileInTheCache() throws Exception {
        byte[] content = fakeHdf5(50_000);
        URI url = serve("/weights.h5", bytes(content));
        String wrong = "0".repeat(64);
        WeightsSource source = WeightsSource.of("weights.h5", url).withSha256(wrong);

        assertThatThrownBy(() -> resolver(new CopyOnWriteArrayList<>()).resolve(source))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining("checksum mismatch")
                .hasMessageContaining(wrong)
                .hasMessageContaining(sha256(content));
        try (var files = Files.list(cache)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void droppedConnectionIsRetriedOnceThenReportedAsOffline() throws Exception {
        URI url = serve("/weights.h5", exchange -> {
            exchange.sendResponseHeaders(200, 100_000);
            exchange.getResponseBody().write(new byte[1000]);
            exchange.getResponseBody().flush();
            exchange.close(); // the promised 100,000 bytes never come
        });
        WeightsSource source = WeightsSource.of("weights.h5", url);

        assertThatThrownBy(() -> resolver(new CopyOnWriteArrayList<>()).resolve(source))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining("cannot download weights.h5")
                .hasMessageContaining("by hand from " + url)
                .hasMessageContaining("put it in " + cache.toAbsolutePath());
        assertThat(requests.get()).isEqualTo(2);
        try (var files = Files.list(cache)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void unreachableServerGivesTheOfflineMessageWithUrlAndFolder() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = socket.getLocalPort();
        }
        URI url = URI.create("http://127.0.0.1:" + port + "/mobilenet.h5");
        assertThatThrownBy(() -> resolver(new CopyOnWriteArrayList<>()).resolve(WeightsSource.of("mobilenet.h5", url)))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining("mobilenet.h5")
                .hasMessageContaining("offline")
                .hasMessageContaining(url.toString())
                .hasMessageContaining(cache.toAbsolutePath().toString());
    }

    @Test
    void httpErrorNamesStatusAndUrl() throws Exception {
        URI url = serve("/missing.h5", exchange -> {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
        });
        assertThatThrownBy(() -> resolver(new CopyOnWriteArrayList<>()).resolve(WeightsSource.of("missing.h5", url)))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining("HTTP 404")
                .hasMessageContaining(url.toString());
    }

    @Test
    void explicitFileMustExist() throws Exception {
        PretrainedWeights resolver = resolver(new CopyOnWriteArrayList<>());
        Path file = Files.write(cache.resolve("mine.h5"), HDF5_SIGNATURE);
        assertThat(resolver.resolve(file)).isEqualTo(file);
        assertThatThrownBy(() -> resolver.resolve(cache.resolve("absent.h5")))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining("weights file not found")
                .hasMessageContaining("absent.h5");
    }

    @Test
    void cacheFolderComesFromTheSystemPropertyUnlessSetOnTheBuilder() {
        String old = System.getProperty(PretrainedWeights.CACHE_PROPERTY);
        try {
            System.setProperty(PretrainedWeights.CACHE_PROPERTY, cache.resolve("models").toString());
            assertThat(PretrainedWeights.builder().build().cacheDir()).isEqualTo(cache.resolve("models"));
            assertThat(PretrainedWeights.builder().optCacheDir(cache).build().cacheDir()).isEqualTo(cache);
            System.clearProperty(PretrainedWeights.CACHE_PROPERTY);
            assertThat(PretrainedWeights.defaultCacheDir()).endsWithRaw(Path.of(".cnnkit", "models"));
        } finally {
            if (old != null) {
                System.setProperty(PretrainedWeights.CACHE_PROPERTY, old);
            }
        }
    }

    @Test
    void mobileNetV2SourcesFollowTheKerasApplicationsNames() {
        WeightsSource source = WeightsSource.mobileNetV2NoTop(0.35, 224);
        assertThat(source.fileName()).isEqualTo("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5");
        assertThat(source.url()).hasToString("https://storage.googleapis.com/tensorflow/keras-applications/"
                + "mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5");
        assertThat(source.sha256()).isEmpty();
        assertThat(WeightsSource.mobileNetV2NoTop(1.0, 96).fileName()).endsWith("_1.0_96_no_top.h5");
        assertThat(WeightsSource.mobileNetV2NoTop(0.5, InputShape.rgb(160)).fileName()).endsWith("_0.5_160_no_top.h5");
        assertThat(WeightsSource.mobileNetV2NoTop(1.4, InputShape.rgb(100)).fileName()).endsWith("_1.4_224_no_top.h5");
        assertThatThrownBy(() -> WeightsSource.mobileNetV2NoTop(0.6, 224))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining("no pretrained MobileNetV2 weights for alpha 0.6");
        assertThatThrownBy(() -> WeightsSource.mobileNetV2NoTop(1.0, 100)).isInstanceOf(CnnkitException.class);
        assertThatThrownBy(() -> WeightsSource.of("weights.h5", URI.create("http://x")).withSha256("abc"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
