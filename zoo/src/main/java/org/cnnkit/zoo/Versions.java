package org.cnnkit.zoo;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.deeplearning4j.nn.graph.ComputationGraph;

/** The versions of cnnkit, DL4J and Java in this JVM, for model provenance. */
final class Versions {

    private Versions() {
    }

    static Map<String, String> current() {
        Map<String, String> versions = new TreeMap<>();
        versions.put("cnnkit", mavenVersion(Versions.class, "org.cnnkit", "cnnkit-zoo"));
        versions.put("dl4j", mavenVersion(ComputationGraph.class, "org.deeplearning4j", "deeplearning4j-nn"));
        versions.put("java", System.getProperty("java.version", "unknown"));
        return versions;
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
