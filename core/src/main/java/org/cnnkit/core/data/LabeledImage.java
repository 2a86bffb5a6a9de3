package org.cnnkit.core.data;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One image file and the index of its class.
 *
 * @param path the image file
 * @param label the class index, from 0; for an {@link ImageFolder} the position of the class folder's
 *     name in the sorted list of class names
 */
public record LabeledImage(Path path, int label) {

    /**
     * Validates the pair.
     *
     * @param path the image file
     * @param label the class index, from 0; for an {@link ImageFolder} the position of the class folder's name in the sorted list of class names
     * @throws NullPointerException if {@code path} is null
     * @throws IllegalArgumentException if {@code label} is negative
     */
    public LabeledImage {
        Objects.requireNonNull(path, "path");
        if (label < 0) {
            throw new IllegalArgumentException("label must not be negative, got " + label + " for " + path);
        }
    }
}
