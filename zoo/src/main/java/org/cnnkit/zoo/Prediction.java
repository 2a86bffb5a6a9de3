package org.cnnkit.zoo;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The best classes for one image, most probable first.
 *
 * @param file the image file, or {@code null} when the image was given in memory
 * @param top the top-k classes by decreasing probability (ties by class index); at least one
 */
public record Prediction(Path file, List<ScoredLabel> top) {

    /**
     * Validates and copies the list.
     *
     * @param file the image file, or {@code null} when the image was given in memory
     * @param top the top-k classes by decreasing probability (ties by class index); at least one
     * @throws IllegalArgumentException if {@code top} is empty
     */
    public Prediction {
        top = List.copyOf(Objects.requireNonNull(top, "top"));
        if (top.isEmpty()) {
            throw new IllegalArgumentException("a prediction needs at least one label");
        }
    }

    /** {@return the most probable class} */
    public ScoredLabel best() {
        return top.get(0);
    }
}
