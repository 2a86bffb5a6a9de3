package org.cnnkit.retrieval;

import java.nio.file.Path;
import org.cnnkit.core.CnnkitException;

/**
 * An index file could not be read or written: missing, not an index, damaged (truncated, checksum
 * mismatch), from a newer format version, or an I/O failure while saving. The message names the path and
 * the problem. A file that raises this exception is never used to answer a query.
 */
public class IndexFileException extends CnnkitException {

    private static final long serialVersionUID = 1L;

    private final transient Path path;

    /**
     * Creates the exception.
     *
     * @param path the index file concerned
     * @param problem what was wrong, in words for the user
     */
    public IndexFileException(Path path, String problem) {
        super("index file " + path + ": " + problem);
        this.path = path;
    }

    /**
     * Creates the exception with its cause.
     *
     * @param path the index file concerned
     * @param problem what was wrong, in words for the user
     * @param cause the lower-level failure
     */
    public IndexFileException(Path path, String problem, Throwable cause) {
        super("index file " + path + ": " + problem, cause);
        this.path = path;
    }

    /** {@return the index file concerned} */
    public Path path() {
        return path;
    }
}
