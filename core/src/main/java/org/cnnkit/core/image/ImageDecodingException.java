package org.cnnkit.core.image;

import java.nio.file.Path;
import org.cnnkit.core.CnnkitException;

/**
 * An image file could not be decoded: it is empty, not an image, corrupt, truncated, or larger than the
 * decoder's pixel limit. The message names the file and the cause; folder-level work catches this type to
 * skip and count the file.
 */
public class ImageDecodingException extends CnnkitException {

    private static final long serialVersionUID = 1L;

    private final transient Path path;

    /**
     * Creates the exception.
     *
     * @param path the file that could not be decoded
     * @param reason why, in a few words
     */
    public ImageDecodingException(Path path, String reason) {
        super("cannot decode image " + path + ": " + reason);
        this.path = path;
    }

    /**
     * Creates the exception with the lower-level cause.
     *
     * @param path the file that could not be decoded
     * @param reason why, in a few words
     * @param cause the exception that revealed the problem
     */
    public ImageDecodingException(Path path, String reason, Throwable cause) {
        super("cannot decode image " + path + ": " + reason, cause);
        this.path = path;
    }

    /** {@return the file that could not be decoded} */
    public Path path() {
        return path;
    }
}
