package org.cnnkit.examples.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import picocli.CommandLine;

/** Runs the cnnkit command line in the test's JVM, as {@code main} does, with standard output and error captured. */
final class CliRunner {

    private CliRunner() {
    }

    /**
     * Runs {@code cnnkit ARGS}.
     *
     * @return the exit code
     */
    static int run(StringWriter out, StringWriter err, String... args) {
        return run(Cli.commandLine(), out, err, args);
    }

    /**
     * Runs a (possibly extended) cnnkit command line.
     *
     * @return the exit code
     */
    static int run(CommandLine commandLine, StringWriter out, StringWriter err, String... args) {
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        return Cli.execute(commandLine, args);
    }

    /** Returns the assets' MobileNetV2 alpha-0.35 weights, or skips the test with a message when they are absent. */
    static Path mobileNetWeights() {
        Path file = Path.of(System.getProperty("cnnkit.assets", "../shared/assets"))
                .resolve("mobilenet_v2/mobilenet_v2_0.35_224_no_top.weights.h5");
        Assumptions.assumeTrue(Files.isRegularFile(file), "MobileNetV2 weights not found at " + file + ": skipping");
        return file;
    }
}
