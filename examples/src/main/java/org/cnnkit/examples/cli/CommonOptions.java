package org.cnnkit.examples.cli;

import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The options every cnnkit command takes, mixed into each command by {@link CliCommand}:
 * {@code --report FILE} and {@code --verbose}.
 */
public final class CommonOptions {

    @Option(names = "--report", paramLabel = "FILE",
            description = "Write a JSON report of what the command did and measured to FILE.")
    private Path report;

    @Option(names = "--verbose", description = "Print the stack trace when the command fails.")
    private boolean verbose;

    /** {@return the report file given with {@code --report}, if any} */
    public Optional<Path> report() {
        return Optional.ofNullable(report);
    }

    /** {@return whether {@code --verbose} was given} */
    public boolean verbose() {
        return verbose;
    }
}
