package org.cnnkit.core.image;

import java.nio.file.Path;
import java.util.Objects;

/**
 * An image still in its file format (PNG, JPEG, BMP, GIF), read into memory by someone else (for example Spark's
 * {@code binaryFile} source or a Hadoop file system), with the name it is known by.
 *
 * @param name the image's path or id, used in results and error messages
 * @param content the file's bytes; not copied, do not change them afterwards
 */
public record EncodedImage(Path name, byte[] content) {

    /**
     * Validates the record.
     *
     * @param name the image's path or id, used in results and error messages
     * @param content the file's bytes; not copied, do not change them afterwards
     * @throws NullPointerException if a field is null
     */
    public EncodedImage {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(content, "content");
    }
}
