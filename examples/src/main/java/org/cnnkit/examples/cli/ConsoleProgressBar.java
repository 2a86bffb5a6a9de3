package org.cnnkit.examples.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import org.cnnkit.core.progress.Progress;
import org.cnnkit.core.progress.ProgressListener;

/**
 * Shows the progress of long operations on the console.
 *
 * <p>On a terminal it redraws one line in place:
 * <pre>writing PNG files [##########..........]  1573/3147  50%  812/s  ETA 0:02</pre>
 * and ends the line when the operation finishes or another one starts. When the output is not a terminal (a log
 * file, CI), it prints a plain line at most once per interval and one when the operation finishes:
 * <pre>writing PNG files: 3147/3147 (100%), 812/s, 3.9 s</pre>
 * Thread-safe; reports come from {@link org.cnnkit.core.progress.ProgressTracker}s.
 */
public final class ConsoleProgressBar implements ProgressListener {

    /** How often a non-terminal output gets a line, at most. */
    public static final Duration DEFAULT_LOG_INTERVAL = Duration.ofSeconds(10);

    private static final int BAR_WIDTH = 24;

    private final PrintWriter out;
    private final boolean redraw;
    private final long intervalNanos;

    private String openTask;
    private int drawnLength;
    private long lastLogNanos;

    private ConsoleProgressBar(PrintWriter out, boolean redraw, Duration interval) {
        this.out = Objects.requireNonNull(out, "out");
        this.redraw = redraw;
        this.intervalNanos = Objects.requireNonNull(interval, "interval").toNanos();
        this.lastLogNanos = System.nanoTime();
    }

    /**
     * Returns a bar that redraws itself when the JVM runs on a terminal ({@code System.console() != null}) and logs
     * a line every {@link #DEFAULT_LOG_INTERVAL} otherwise.
     *
     * @param out where to draw, normally standard error
     * @return the listener
     */
    public static ConsoleProgressBar forConsole(PrintWriter out) {
        return System.console() != null ? redrawing(out) : logging(out, DEFAULT_LOG_INTERVAL);
    }

    /**
     * Returns a bar that redraws one line in place with carriage returns.
     *
     * @param out where to draw
     * @return the listener
     */
    public static ConsoleProgressBar redrawing(PrintWriter out) {
        return new ConsoleProgressBar(out, true, Duration.ZERO);
    }

    /**
     * Returns a listener that prints plain lines: at most one per interval, plus one when an operation finishes.
     *
     * @param out where to print
     * @param interval the shortest time between two lines of the same operation
     * @return the listener
     */
    public static ConsoleProgressBar logging(PrintWriter out, Duration interval) {
        return new ConsoleProgressBar(out, false, interval);
    }

    /**
     * Draws or logs a progress snapshot.
     *
     * @param progress the latest state of an operation
     */
    @Override
    public synchronized void onProgress(Progress progress) {
        if (redraw) {
            draw(progress);
        } else {
            log(progress);
        }
        out.flush();
    }

    private void draw(Progress progress) {
        if (openTask != null && !openTask.equals(progress.task())) {
            out.print(System.lineSeparator());
            openTask = null;
            drawnLength = 0;
        }
        String line = barLine(progress);
        StringBuilder text = new StringBuilder("\r").append(line);
        for (int i = line.length(); i < drawnLength; i++) {
            text.append(' ');
        }
        out.print(text);
        drawnLength = line.length();
        if (progress.finished()) {
            out.print(System.lineSeparator());
            openTask = null;
            drawnLength = 0;
        } else {
            openTask = progress.task();
        }
    }

    private void log(Progress progress) {
        long now = System.nanoTime();
        if (!progress.finished() && now - lastLogNanos < intervalNanos) {
            return;
        }
        if (!progress.finished() && progress.done() == 0) {
            return; // "0 done" says nothing in a log
        }
        lastLogNanos = now;
        out.println(logLine(progress));
    }

    /** Formats the redrawn terminal line. */
    static String barLine(Progress p) {
        StringBuilder line = new StringBuilder(shorten(p.task())).append(' ');
        if (p.totalKnown()) {
            int filled = (int) Math.round(p.fraction() * BAR_WIDTH);
            line.append('[').append("#".repeat(filled)).append(".".repeat(BAR_WIDTH - filled)).append("] ");
            line.append(String.format(Locale.ROOT, "%d/%d %3d%%", p.done(), p.total(), percent(p)));
        } else {
            line.append(p.done()).append(" done");
        }
        line.append("  ").append(rate(p));
        if (p.finished()) {
            line.append("  in ").append(clock(p.elapsed()));
        } else {
            p.eta().ifPresent(eta -> line.append("  ETA ").append(clock(eta)));
        }
        return line.toString();
    }

    /** Formats a plain log line. */
    static String logLine(Progress p) {
        StringBuilder line = new StringBuilder(p.task()).append(": ");
        if (p.totalKnown()) {
            line.append(p.done()).append('/').append(p.total()).append(" (").append(percent(p)).append("%)");
        } else {
            line.append(p.done()).append(" done");
        }
        line.append(", ").append(rate(p)).append(", ").append(String.format(Locale.ROOT, "%.1f s",
                p.elapsed().toMillis() / 1000.0));
        if (!p.finished()) {
            p.eta().ifPresent(eta -> line.append(", ETA ").append(clock(eta)));
        }
        return line.toString();
    }

    private static int percent(Progress p) {
        return (int) Math.floor(p.fraction() * 100);
    }

    private static String rate(Progress p) {
        double rate = p.ratePerSecond();
        return rate >= 100 ? String.format(Locale.ROOT, "%.0f/s", rate) : String.format(Locale.ROOT, "%.1f/s", rate);
    }

    private static String clock(Duration d) {
        long seconds = d.toSeconds();
        if (seconds >= 3600) {
            return String.format(Locale.ROOT, "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60);
        }
        return String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
    }

    private static String shorten(String task) {
        return task.length() <= 40 ? task : task.substring(0, 37) + "...";
    }
}
