package org.cnnkit.core.plot;

import org.cnnkit.core.CnnkitException;

/**
 * Checks that the optional charting library is on the class path before a chart is drawn, and turns its absence
 * into a {@link CnnkitException} that names the Maven artifact to add.
 *
 * <p>cnnkit draws with JFreeChart ({@code org.jfree:jfreechart}) and writes SVG with JFreeSVG
 * ({@code org.jfree:org.jfree.svg}). Both are optional dependencies of the library modules (a program that draws no
 * chart does not need them) and ordinary dependencies of the command line.
 */
public final class ChartLibrary {

    /** The Maven coordinates of the library that draws the charts. */
    public static final String CHARTS_ARTIFACT = "org.jfree:jfreechart";

    /** The Maven coordinates of the library that writes SVG files. */
    public static final String SVG_ARTIFACT = "org.jfree:org.jfree.svg";

    private ChartLibrary() {
    }

    /**
     * Checks that the classes needed to write a chart in the given format can be loaded.
     *
     * @param format the format of the file to write
     * @throws CnnkitException naming the missing artifact if a library is absent
     */
    public static void require(ChartFormat format) {
        if (!present("org.jfree.chart.JFreeChart")) {
            throw missing(CHARTS_ARTIFACT, null);
        }
        if (format == ChartFormat.SVG && !present("org.jfree.svg.SVGGraphics2D")) {
            throw missing(SVG_ARTIFACT, null);
        }
    }

    /**
     * Turns a class that failed to load while drawing into the error that names the artifact to add.
     *
     * @param error the linkage error raised when a chart class was first used
     * @return the exception to throw
     */
    public static CnnkitException missing(LinkageError error) {
        String message = String.valueOf(error.getMessage());
        String artifact = message.contains("org/jfree/svg") || message.contains("org.jfree.svg")
                ? SVG_ARTIFACT : CHARTS_ARTIFACT;
        return missing(artifact, error);
    }

    private static CnnkitException missing(String artifact, Throwable cause) {
        return new CnnkitException("drawing charts needs " + artifact + " on the class path: add the Maven "
                + "dependency " + artifact + " (declared optional by cnnkit's library modules)", cause);
    }

    private static boolean present(String className) {
        try {
            Class.forName(className, false, ChartLibrary.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
