package org.cnnkit.zoo;

import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Where a trained model came from: the architecture, the seed, the training settings, a summary of the data
 * and the versions of the software that made it. It travels inside the model file, so that a model found on a
 * disk months later still says how it was made.
 *
 * @param model the architecture name, such as {@code "seedcnn-notebook"}
 * @param seed the seed of initialization, shuffling and augmentation
 * @param settings training settings by name (epochs, batch size, learning rate, ...), sorted by name
 * @param dataset a one-line summary of the training data (folder, counts), or an empty string
 * @param versions software versions by name ({@code cnnkit}, {@code dl4j}, {@code java}), sorted by name
 * @param created when the model was made
 */
public record ModelProvenance(String model, long seed, Map<String, String> settings, String dataset,
                              Map<String, String> versions, Instant created) {

    /**
     * Validates the provenance and copies the maps into sorted, unmodifiable maps.
     *
     * @param model the architecture name
     * @param seed the seed used
     * @param settings training settings by name
     * @param dataset a one-line summary of the training data
     * @param versions software versions by name
     * @param created when the model was made
     * @throws NullPointerException if any argument is null
     */
    public ModelProvenance {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(dataset, "dataset");
        Objects.requireNonNull(created, "created");
        settings = Collections.unmodifiableMap(new TreeMap<>(Objects.requireNonNull(settings, "settings")));
        versions = Collections.unmodifiableMap(new TreeMap<>(Objects.requireNonNull(versions, "versions")));
    }

    /**
     * Returns the provenance of a model made now by this software.
     *
     * @param model the architecture name
     * @param seed the seed used
     * @param settings training settings by name
     * @param dataset a one-line summary of the data
     * @return the provenance, with the current versions and time
     * @throws NullPointerException if any argument is null
     */
    public static ModelProvenance of(String model, long seed, Map<String, String> settings, String dataset) {
        return new ModelProvenance(model, seed, settings, dataset, Versions.current(), Instant.now());
    }

    /**
     * Returns the provenance of a network whose origin is not recorded (for example one built by hand).
     *
     * @param model the architecture name
     * @return a provenance with seed 0, no settings and no data summary
     */
    public static ModelProvenance unknown(String model) {
        return of(model, 0, Map.of(), "");
    }
}
