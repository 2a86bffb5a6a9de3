package org.cnnkit.retrieval.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.retrieval.ExtractionResult;
import org.cnnkit.retrieval.ExtractorSpec;
import org.cnnkit.retrieval.FeatureExtractor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job launched the way users launch it: {@code org.apache.spark.deploy.SparkSubmit} in a child JVM with
 * {@code --class SparkFeatureJobMain}, the application jar, {@code --files} for the weights and the job's options,
 * on {@code local-cluster[2,1,1024]}: a standalone master and two workers in the driver's JVM, each worker starting its
 * executor in a JVM of its own, as on a cluster.
 *
 * <p>Workers start executors from a Spark distribution ({@code SPARK_HOME} with {@code RELEASE} and {@code jars/}).
 * The build has no distribution, so the test makes one: a {@code jars/} folder of links to the jars of its own class
 * path (Spark and cnnkit's dependencies). The cnnkit modules the job depends on reach the executors through
 * {@code spark.executor.extraClassPath} (their class folders); the retrieval module's classes only through the
 * application jar, which the executors fetch from the driver, as they fetch the job jar on a cluster.
 */
class SparkSubmitTest {

    private static final int IMAGES = 12;

    @TempDir
    Path dir;

    @Test
    void sparkSubmitRunsTheMainClassOnALocalClusterWithExecutorsInJvmsOfTheirOwn() throws Exception {
        ExtractorSpec spec = SparkTestImages.mobileNet(64);
        Path weights = spec.weights().orElseThrow();
        Path input = dir.resolve("images");
        for (int i = 0; i < IMAGES; i++) {
            SparkTestImages.drawPng(input.resolve("p" + (i % 2) + "/img" + i + ".png"), i, 40 + i);
        }
        SparkTestImages.writeUnreadable(input);
        Path output = dir.resolve("table");
        Path sparkHome = distribution(dir.resolve("spark-home"));
        Path retrievalClasses = codeSource(SparkFeatureJobMain.class);
        Path testClasses = codeSource(SparkSubmitTest.class);
        Path applicationJar = jar(retrievalClasses, dir.resolve("cnnkit-job.jar"));

        List<String> driverClassPath = new ArrayList<>();
        List<String> executorClassPath = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path path = Path.of(entry).toAbsolutePath();
            if (path.equals(retrievalClasses.toAbsolutePath()) || path.equals(testClasses.toAbsolutePath())) {
                continue;
            }
            driverClassPath.add(entry);
            if (Files.isDirectory(path)) {
                executorClassPath.add(path.toString());
            }
        }
        List<String> sparkOptions = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-opens") || a.startsWith("-Djdk.reflect")
                        || a.startsWith("-Dio.netty"))
                .toList();
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(sparkOptions);
        command.addAll(List.of("-Xmx768m", "-Djava.awt.headless=true", "-cp",
                String.join(File.pathSeparator, driverClassPath), "org.apache.spark.deploy.SparkSubmit",
                "--master", "local-cluster[2,1,1024]",
                "--class", SparkFeatureJobMain.class.getName(),
                "--executor-memory", "768m",
                "--conf", "spark.ui.enabled=false",
                "--conf", "spark.driver.host=127.0.0.1",
                "--conf", "spark.driver.bindAddress=127.0.0.1",
                "--conf", "spark.executor.extraClassPath=" + String.join(File.pathSeparator, executorClassPath),
                "--conf", "spark.executor.extraJavaOptions=-Djava.awt.headless=true "
                        + "-Dorg.bytedeco.javacpp.maxbytes=1G " + String.join(" ", sparkOptions),
                "--files", weights.toString(),
                applicationJar.toString(),
                "--input", input.toString(), "--output", output.toString(),
                "--extractor", "mobilenetv2", "--alpha", "0.35", "--image-size", "64",
                "--weights", weights.getFileName().toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("spark-submit.log").toFile());
        builder.environment().put("SPARK_HOME", sparkHome.toString());
        builder.environment().put("SPARK_SCALA_VERSION", "2.13");
        builder.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        Process submit = builder.start();
        boolean ended = submit.waitFor(15, TimeUnit.MINUTES);
        if (!ended) {
            submit.destroyForcibly().waitFor();
        }
        String log = Files.readString(dir.resolve("spark-submit.log"));
        assertThat(ended).as("spark-submit ended within 15 minutes; its log:\n%s", tail(log)).isTrue();
        assertThat(submit.exitValue()).as("spark-submit's exit code; its log:\n%s", tail(log)).isZero();
        assertThat(log).contains("cnnkit job done: " + (IMAGES + 4) + " files listed");

        // the extractor was built in executor JVMs (their logs are in the workers' folders), from the shipped weights
        String executorLogs = executorLogs(sparkHome.resolve("work"));
        assertThat(executorLogs).as("the executors' logs; the driver's:\n%s", tail(log)).contains("loaded Keras weights").doesNotContain(weights.getParent().toString());

        SparkSession spark = SparkTestImages.localSession();
        try {
            Map<String, float[]> actual = new HashMap<>();
            for (Row row : spark.read().parquet(output.resolve(FeatureTable.FEATURES).toString()).collectAsList()) {
                List<Float> values = row.getList(row.fieldIndex(FeatureTable.VECTOR));
                float[] vector = new float[values.size()];
                for (int i = 0; i < vector.length; i++) {
                    vector[i] = values.get(i);
                }
                actual.put(row.getString(row.fieldIndex(FeatureTable.ID)), vector);
            }
            Map<String, String> skipped = spark.read().parquet(output.resolve(FeatureTable.SKIPPED).toString())
                    .collectAsList().stream().collect(Collectors.toMap(row -> row.getString(0),
                            row -> row.getString(3)));
            assertThat(skipped).containsOnlyKeys("bad/empty.png", "bad/notes.jpg", "bad/truncated.jpg",
                    "bad/bomb.png");
            assertThat(skipped.get("bad/empty.png")).contains("the file is empty (0 bytes)");

            FeatureExtractor local = spec.create(ProgressListener.none());
            List<Path> files;
            try (Stream<Path> walk = Files.walk(input)) {
                files = walk.filter(f -> f.toString().endsWith(".png") && !f.startsWith(input.resolve("bad")))
                        .sorted().toList();
            }
            ExtractionResult expected = local.extractReadable(files, ProgressListener.none());
            assertThat(actual).hasSize(IMAGES);
            for (int i = 0; i < expected.files().size(); i++) {
                String id = input.relativize(expected.files().get(i)).toString().replace('\\', '/');
                assertThat(actual).containsKey(id);
                for (int j = 0; j < local.dimension(); j++) {
                    assertThat(actual.get(id)[j]).as("%s[%d]", id, j)
                            .isCloseTo(expected.vectors()[i][j], within(1e-5f));
                }
            }
            assertThat(FeatureTable.of(spark.read().parquet(output.resolve(FeatureTable.FEATURES).toString())
                    .schema(), "table").identity()).isEqualTo(local.identity());
        } finally {
            spark.stop();
        }
    }

    /** Makes a Spark "distribution" the workers can start executors from: RELEASE and jars/ (links). */
    private static Path distribution(Path home) throws IOException {
        Path jars = Files.createDirectories(home.resolve("jars"));
        Files.writeString(home.resolve("RELEASE"), "Spark (the test's class path)\n");
        int n = 0;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path path = Path.of(entry).toAbsolutePath();
            if (entry.endsWith(".jar") && Files.isRegularFile(path)) {
                Files.createSymbolicLink(jars.resolve(String.format("%04d-%s", n++, path.getFileName())), path);
            }
        }
        return home;
    }

    private static Path codeSource(Class<?> type) throws URISyntaxException {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /** Writes the application jar: a class folder's files under a manifest. */
    private static Path jar(Path classes, Path jar) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        try (OutputStream file = Files.newOutputStream(jar);
             JarOutputStream out = new JarOutputStream(file, manifest);
             Stream<Path> walk = Files.walk(classes)) {
            for (Path path : walk.filter(Files::isRegularFile).sorted().toList()) {
                out.putNextEntry(new JarEntry(classes.relativize(path).toString().replace('\\', '/')));
                Files.copy(path, out);
                out.closeEntry();
            }
        }
        return jar;
    }

    /** The standard output and error of every executor the workers started ({@code work/APP/EXECUTOR/std*}). */
    private static String executorLogs(Path work) throws IOException {
        if (!Files.isDirectory(work)) {
            return "";
        }
        StringBuilder logs = new StringBuilder();
        try (Stream<Path> walk = Files.walk(work)) {
            for (Path stderr : walk.filter(f -> f.getFileName().toString().startsWith("std")).toList()) {
                logs.append(Files.readString(stderr));
            }
        }
        return logs.toString();
    }

    private static String tail(String log) {
        return log.length() <= 6000 ? log : log.substring(log.length() - 6000);
    }
}
