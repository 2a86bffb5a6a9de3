package org.cnnkit.examples.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import picocli.CommandLine.Option;

/**
 * The picture options of the commands that draw charts ({@code train}, {@code evaluate},
 * {@code evaluate-retrieval}): {@code --plot DIR} and {@code --plot-format png|svg}. Each picture is recorded in the
 * report under {@code plots.NAME}.
 */
public final class PlotOptions {

    @Option(names = "--plot", paramLabel = "DIR",
            description = "Also draw the results as pictures into DIR (created when missing; files replaced).")
    private Path folder;

    @Option(names = "--plot-format", paramLabel = "png|svg", defaultValue = "png",
            description = "Format of the --plot pictures (default: ${DEFAULT-VALUE}).")
    private String format;

    /** Creates the options; picocli fills them in. */
    public PlotOptions() {
    }

    /** Returns whether {@code --plot} was given. */
    public boolean enabled() {
        return folder != null;
    }

    /**
     * Checks the options before the command does its work, so that a typo does not cost a training run.
     *
     * @return what is wrong, naming the option, or null when nothing is
     */
    public String problem() {
        if (!format.equals("png") && !format.equals("svg")) {
            return "--plot-format must be png or svg, got '" + format + "'";
        }
        if (folder != null && Files.exists(folder) && !Files.isDirectory(folder)) {
            return "--plot must be a folder, but " + folder + " is a file";
        }
        return null;
    }

    /**
     * Draws one picture when {@code --plot} was given: {@code DIR/NAME.png} (or {@code .svg}), recorded in the report
     * under {@code plots.KEY} and named on the output.
     *
     * @param key the report key under {@code plots}, such as {@code confusion_matrix}
     * @param name the file name without extension, such as {@code confusion-matrix}
     * @param draw writes the picture to the file it is given
     * @param report the command's report
     * @param out where the command prints its results
     */
    public void draw(String key, String name, Consumer<Path> draw, Report report, PrintWriter out) {
        if (folder == null) {
            return;
        }
        Path file = folder.resolve(name + "." + format).toAbsolutePath().normalize();
        draw.accept(file);
        report.put("plots." + key, file);
        out.println("Picture: " + file);
    }
}
