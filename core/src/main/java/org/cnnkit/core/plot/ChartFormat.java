package org.cnnkit.core.plot;

import java.nio.file.Path;
import java.util.Locale;
import org.cnnkit.core.CnnkitException;

/** The file formats a chart can be written in, chosen by the file name's extension. */
public enum ChartFormat {

    /** A PNG raster image ({@code .png}). */
    PNG,

    /** An SVG vector image ({@code .svg}). */
    SVG;

    /**
     * Returns the format named by a file's extension, {@code .png} or {@code .svg} (any case).
     *
     * @param file the file to write
     * @return its format
     * @throws CnnkitException if the extension is neither
     */
    public static ChartFormat of(Path file) {
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".png")) {
            return PNG;
        }
        if (name.endsWith(".svg")) {
            return SVG;
        }
        throw new CnnkitException("cannot tell the picture format of " + file + ": the name must end in .png or .svg");
    }

    /** {@return the file name extension, with the dot, such as {@code .png}} */
    public String extension() {
        return "." + name().toLowerCase(Locale.ROOT);
    }
}
