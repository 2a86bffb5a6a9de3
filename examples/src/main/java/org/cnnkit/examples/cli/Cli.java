package org.cnnkit.examples.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code cnnkit} command line: {@code java -jar examples/target/cnnkit.jar COMMAND [OPTIONS]}.
 *
 * <p>Without arguments it lists the commands. Exit codes: 0 on success, 2 on a usage error (with the message and the
 * command's usage on standard error), 1 on any other failure, with one line on standard error that names the cause;
 * {@code --verbose} adds the stack trace.
 *
 * <p>A command is a {@link CliCommand} subclass in this package, registered by one line in the {@code subcommands}
 * list below.
 */
@Command(name = "cnnkit",
        mixinStandardHelpOptions = true,
        versionProvider = Cli.VersionProvider.class,
        description = "Image classification, transfer learning and image retrieval on Deeplearning4j.",
        footer = {"", "Run 'cnnkit COMMAND --help' for a command's options. Exit codes: 0 success, "
                + "1 failure, 2 usage error."},
        subcommands = {
                ImportMnistCommand.class,
                TrainCommand.class,
                EvaluateCommand.class,
                PredictCommand.class,
                IndexCommand.class,
                SearchCommand.class,
                ExportCommand.class,
                EvaluateRetrievalCommand.class,
                DuplicatesCommand.class,
                ServeCommand.class,
                BenchCommand.class,
                DemoCommand.class,
                // One line per command, in the order 'cnnkit' lists them.
                HelpCommand.class,
        })
public final class Cli implements Runnable {

    private static final String VERSION_RESOURCE = "version.properties";

    @Spec
    private CommandSpec spec;

    /** Creates the root command; use {@link #commandLine()} to run it. */
    public Cli() {
    }

    /**
     * Runs the command line and exits the JVM with its exit code.
     *
     * @param args the command and its options
     */
    public static void main(String[] args) {
        // Pictures (contact sheets, --plot charts) are drawn off screen: never look for a display.
        System.setProperty("java.awt.headless", System.getProperty("java.awt.headless", "true"));
        System.exit(execute(commandLine(), args));
    }

    /**
     * Executes a command line like {@link #main} does, without exiting: also an {@link Error} thrown by a command
     * (out of memory, a native library that fails to load), which picocli passes through, becomes exit code 1 and
     * one line on the command line's error writer (with the stack trace when the arguments hold {@code --verbose}).
     *
     * @param commandLine a command line made by {@link #commandLine()}
     * @param args the command and its options
     * @return the exit code: 0 success, 1 failure, 2 usage error
     */
    public static int execute(CommandLine commandLine, String... args) {
        try {
            return commandLine.execute(args);
        } catch (Throwable failure) {
            PrintWriter err = commandLine.getErr();
            err.println("cnnkit: " + ErrorMessages.oneLine(failure));
            if (Arrays.asList(args).contains("--verbose")) {
                failure.printStackTrace(err);
            }
            err.flush();
            return CommandLine.ExitCode.SOFTWARE;
        }
    }

    /**
     * Returns the configured command line: every command registered, the one-line error handling installed, output
     * to standard output and standard error. Tests replace the writers with {@code setOut} and {@code setErr}.
     *
     * @return a new command line, ready to {@code execute(args)}
     */
    public static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new Cli());
        commandLine.setExecutionExceptionHandler(Cli::handleFailure);
        return commandLine;
    }

    /** Lists the commands: what {@code cnnkit} does without arguments. */
    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * Returns the cnnkit version, read from the build's {@code version.properties}.
     *
     * @return the version, such as {@code 0.2.0}, or {@code "unknown"} when the resource is missing
     */
    public static String version() {
        Properties properties = new Properties();
        try (InputStream in = Cli.class.getResourceAsStream(VERSION_RESOURCE)) {
            if (in == null) {
                return "unknown";
            }
            properties.load(in);
        } catch (IOException e) {
            return "unknown";
        }
        return properties.getProperty("version", "unknown");
    }

    private static int handleFailure(Exception failure, CommandLine commandLine, CommandLine.ParseResult parsed) {
        PrintWriter err = commandLine.getErr();
        err.println(commandLine.getCommandSpec().qualifiedName() + ": " + ErrorMessages.oneLine(failure));
        if (isVerbose(commandLine)) {
            failure.printStackTrace(err);
        }
        err.flush();
        return CommandLine.ExitCode.SOFTWARE;
    }

    private static boolean isVerbose(CommandLine commandLine) {
        return commandLine.getCommandSpec().mixins().values().stream()
                .map(CommandSpec::userObject)
                .anyMatch(mixin -> mixin instanceof CommonOptions options && options.verbose());
    }

    /** Supplies {@code --version}. */
    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"cnnkit " + version(), "Java " + System.getProperty("java.version")};
        }
    }
}
