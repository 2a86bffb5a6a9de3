package org.cnnkit.examples.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import org.apache.spark.sql.SparkSession;
import org.cnnkit.core.CnnkitException;

/**
 * Spark for the commands that use it ({@code index --from-parquet}, {@code bench spark-overhead}): Spark is not in the
 * CLI's {@code lib/} folder (it would double its size) but in {@code spark-lib/} beside {@code cnnkit.jar}, added to
 * the class path by the command line that docs/spark.md gives, with the JVM options Spark needs on Java 17.
 */
public final class LocalSpark {

    /** The artifact to add, as the error message names it. */
    public static final String ARTIFACT = "org.apache.spark:spark-sql_2.13";

    private LocalSpark() {
    }

    /**
     * Starts (or joins) a local session with a number of cores, without the web UI.
     *
     * @param cores the cores ({@code local[cores]})
     * @return the session; stop it when done
     * @throws CnnkitException if Spark is not on the class path, naming the artifact and the command line to use
     */
    public static SparkSession start(int cores) {
        try {
            return SparkSession.builder().master("local[" + cores + "]").appName("cnnkit")
                    .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
        } catch (NoClassDefFoundError e) {
            throw missing(e);
        } catch (IllegalAccessError | ExceptionInInitializerError e) {
            throw new CnnkitException("Spark cannot start without the JVM options it needs on Java 17: run java "
                    + String.join(" ", jvmOptions()) + " ... (see docs/spark.md)", e);
        }
    }

    /**
     * Returns the error for a missing Spark.
     *
     * @param e the error the JVM gave
     * @return the exception naming the artifact and the command line
     */
    public static CnnkitException missing(NoClassDefFoundError e) {
        return new CnnkitException("this command needs Apache Spark (" + ARTIFACT + " 4.0.x) on the class path: run "
                + "java " + String.join(" ", jvmOptions()) + " -cp \"cnnkit.jar:spark-lib/*\" "
                + Cli.class.getName() + " ... from examples/target (docs/spark.md); missing " + e.getMessage(), e);
    }

    /** {@return the JVM options Spark needs on Java 17, as the build recorded them} */
    public static List<String> jvmOptions() {
        Properties properties = new Properties();
        try (InputStream in = LocalSpark.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String options = properties.getProperty("spark.jvm.options", "").trim();
        return options.isEmpty() ? List.of() : Arrays.asList(options.split("\\s+"));
    }

    /**
     * Returns a class path with Spark for a child JVM: this JVM's, plus {@code spark-lib/*} beside the jar this class
     * came from when that folder exists.
     *
     * @return the class path
     */
    public static String childClassPath() {
        String classPath = System.getProperty("java.class.path");
        try {
            Path jar = Path.of(LocalSpark.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path sparkLib = jar.resolveSibling("spark-lib"); // target/cnnkit.jar or target/classes
            if (Files.isDirectory(sparkLib)) {
                classPath = classPath + java.io.File.pathSeparator + sparkLib + java.io.File.separator + "*";
            }
        } catch (URISyntaxException | RuntimeException e) {
            // no code source: this JVM's class path only
        }
        return classPath;
    }
}
