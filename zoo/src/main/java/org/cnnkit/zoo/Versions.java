package org.cnnkit.zoo;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.deeplearning4j.nn.graph.ComputationGraph;

/** The versions of cnnkit, DL4J and Java in this JVM, for model provenance and exported models' metadata. */
public final class Versions {

    private Versions() {
    }

    /**
     * Returns the versions in this JVM.
     *
     * @return {@code cnnkit}, {@code dl4j} and {@code java} to their versions ("development" for classes outside a jar)
     */
    public static Map<String, String> current() {
        Map<String, String> versions = new TreeMap<>();
        versions.put("cnnkit", mavenVersion(Versions.class, "org.cnnkit", "cnnkit-zoo"));
        versions.put("dl4j", mavenVersion(ComputationGraph.class, "org.deeplearning4j", "deeplearning4j-nn"));
        versions.put("java", System.getProperty("java.version", "unknown"));
        return versions;
    }

    /**
     * Returns the cnnkit version in this JVM.
     *
     * @return the version, or "development" outside a jar
     */
    public static String cnnkit() {
        return mavenVersion(Versions.class, "org.cnnkit", "cnnkit-zoo");
    }

    /** Reads the version Maven recorded in a jar; classes compiled outside a jar report "development". */
    private static String mavenVersion(Class<?> anchor, String groupId, String artifactId) {
        String resource = "/META-INF/maven/" + groupId + "/" + artifactId + "/pom.properties";
        try (InputStream in = anchor.getResourceAsStream(resource)) {
            if (in != null) {
                Properties properties = new Properties();
                properties.load(in);
                return properties.getProperty("version", "unknown");
            }
        } catch (IOException e) {
            return "unknown";
        }
        String implementation = anchor.getPackage().getImplementationVersion();
        return implementation != null ? implementation : "development";
    }
}
