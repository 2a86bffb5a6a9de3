package org.cnnkit.examples.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.cnnkit.core.progress.ProgressListener;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The base of every cnnkit command: it adds {@code --report FILE} and {@code --verbose}, creates the command's
 * {@link Report}, and writes it when the command ends (also when it fails, with {@code status} and {@code error}).
 *
 * <p>A command is a picocli {@code @Command} class that extends this one and implements {@link #run(Report)}:
 * <pre>{@code
 * @Command(name = "evaluate", description = "Accuracy, per-class precision/recall/F1, confusion matrix.")
 * public final class EvaluateCommand extends CliCommand {
 *     @Option(names = "--model", required = true, paramLabel = "MODEL") Path model;
 *
 *     protected void run(Report report) {
 *         ... optProgressListener(progress()) ...
 *         out().println(table);
 *         report.put("accuracy", accuracy);
 *     }
 * }
 * }</pre>
 * Failures are left to propagate: {@link Cli} turns them into exit code 1 and one line on standard error. A bad option
 * value found while running should be thrown as {@link #usageError(String)} (exit code 2).
 */
public abstract class CliCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Mixin
    private CommonOptions common;

    private ProgressListener progress;

    private boolean partialFailure;

    /** Creates a command; picocli fills in its options. */
    protected CliCommand() {
    }

    /**
     * Does the command's work and fills the report.
     *
     * @param report the report to fill with what the command did and measured
     * @throws Exception any failure; a {@link org.cnnkit.core.CnnkitException} message is shown to the user as is
     */
    protected abstract void run(Report report) throws Exception;

    /**
     * Runs the command and writes its report; called by picocli.
     *
     * @return the exit code: 0, or 1 after {@link #markPartialFailure()}
     * @throws Exception what {@link #run(Report)} threw, after the report was written
     */
    @Override
    public final Integer call() throws Exception {
        Report report = new Report(spec.name(), Cli.version());
        try {
            run(report);
        } catch (Exception | Error e) {
            report.fail(ErrorMessages.oneLine(e));
            common.report().ifPresent(file -> {
                try {
                    report.writeTo(file);
                } catch (RuntimeException writeFailure) {
                    e.addSuppressed(writeFailure);
                }
            });
            throw e;
        }
        if (partialFailure) {
            report.succeedPartly();
        } else {
            report.succeed();
        }
        common.report().ifPresent(report::writeTo);
        return partialFailure ? CommandLine.ExitCode.SOFTWARE : CommandLine.ExitCode.OK;
    }

    /**
     * Marks the run as partly failed: the command went past some inputs it could not read (listed under
     * {@code skipped} in its output and report) and gave its results for the others. The report's {@code status} is
     * then {@code "partial"} and the exit code 1, so that scripts notice.
     */
    protected final void markPartialFailure() {
        partialFailure = true;
    }

    /** {@return the options every command shares} */
    protected final CommonOptions common() {
        return common;
    }

    /** {@return this command's picocli model} */
    protected final CommandSpec spec() {
        return spec;
    }

    /** {@return where the command prints its results (standard output, or the writer a test set)} */
    protected final PrintWriter out() {
        return spec.commandLine().getOut();
    }

    /** {@return where the command prints diagnostics and progress (standard error, or the writer a test set)} */
    protected final PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /**
     * Returns the progress listener to hand to long operations: a {@link ConsoleProgressBar} on {@link #err()}.
     *
     * @return the listener, the same one on every call
     */
    protected final synchronized ProgressListener progress() {
        if (progress == null) {
            progress = ConsoleProgressBar.forConsole(err());
        }
        return progress;
    }

    /**
     * Creates the exception for an option value that is wrong in a way picocli cannot check; {@link Cli} prints its
     * message with the command's usage and exits with code 2.
     *
     * @param message what is wrong, naming the option
     * @return the exception, to throw
     */
    protected final CommandLine.ParameterException usageError(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
