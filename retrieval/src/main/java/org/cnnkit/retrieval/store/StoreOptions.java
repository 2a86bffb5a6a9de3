package org.cnnkit.retrieval.store;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.cnnkit.core.CnnkitException;

/**
 * How to open a {@link VectorStore}: the schema of a store that does not exist yet, how long a writer waits for
 * another writer's lock, and the implementation's own parameters by name (for example {@code m}, {@code beam-width},
 * {@code quantization} for Lucene; {@code collection}, {@code ef-search}, {@code password-file} for PostgreSQL).
 * Every implementation refuses a parameter it does not know, naming the ones it knows.
 *
 * @param schemaForNewStore the schema to create the store with when it does not exist; empty to only open an
 *     existing store
 * @param lockTimeout how long a write waits for another writer (another process) to finish
 * @param parameters implementation parameters, by name
 */
public record StoreOptions(Optional<StoreSchema> schemaForNewStore, Duration lockTimeout,
                           Map<String, String> parameters) {

    /** The default wait for another writer's lock: five minutes. */
    public static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofMinutes(5);

    /**
     * Validates and copies the options.
     *
     * @param schemaForNewStore the schema to create the store with when it does not exist; empty to only open an
     *     existing store
     * @param lockTimeout how long a write waits for another writer (another process) to finish
     * @param parameters implementation parameters, by name
     * @throws IllegalArgumentException if the lock timeout is negative
     */
    public StoreOptions {
        Objects.requireNonNull(schemaForNewStore, "schemaForNewStore");
        Objects.requireNonNull(lockTimeout, "lockTimeout");
        if (lockTimeout.isNegative()) {
            throw new IllegalArgumentException("lock timeout must not be negative, got " + lockTimeout);
        }
        parameters = Map.copyOf(new TreeMap<>(parameters));
    }

    /** {@return options that open an existing store with the default lock timeout and no parameters} */
    public static StoreOptions openExisting() {
        return builder().build();
    }

    /** {@return a builder} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns a parameter's value.
     *
     * @param name the parameter
     * @return its value, or empty when not given
     */
    public Optional<String> parameter(String name) {
        return Optional.ofNullable(parameters.get(name));
    }

    /**
     * Returns an integer parameter.
     *
     * @param name the parameter
     * @param defaultValue the value when it is not given
     * @param min the smallest allowed value
     * @param max the largest allowed value
     * @return the value
     * @throws CnnkitException if the value is not a whole number in {@code [min, max]}; the message names it
     */
    public int intParameter(String name, int defaultValue, int min, int max) {
        String text = parameters.get(name);
        if (text == null) {
            return defaultValue;
        }
        try {
            int value = Integer.parseInt(text.trim());
            if (value < min || value > max) {
                throw new CnnkitException("store parameter " + name + "=" + text + " is out of range; it takes a "
                        + "whole number from " + min + " to " + max);
            }
            return value;
        } catch (NumberFormatException e) {
            throw new CnnkitException("store parameter " + name + "=" + text + " is not a whole number (" + min
                    + " to " + max + ")");
        }
    }

    /**
     * Checks that every given parameter is one the implementation knows.
     *
     * @param kind the implementation, for the message
     * @param known the parameter names it takes
     * @throws CnnkitException naming the first unknown parameter and the known ones
     */
    public void requireKnownParameters(StoreSpec.Kind kind, Set<String> known) {
        for (String name : parameters.keySet()) {
            if (!known.contains(name)) {
                throw new CnnkitException("the " + kind.specName() + " store has no parameter '" + name
                        + "'; it takes " + (known.isEmpty() ? "none" : String.join(", ", new TreeSet<>(known))));
            }
        }
    }

    /** Collects store options. */
    public static final class Builder {

        private StoreSchema schema;
        private Duration lockTimeout = DEFAULT_LOCK_TIMEOUT;
        private final Map<String, String> parameters = new TreeMap<>();

        private Builder() {
        }

        /**
         * Sets the schema to create the store with when it does not exist yet.
         *
         * @param schema the schema
         * @return this builder
         */
        public Builder optSchemaForNewStore(StoreSchema schema) {
            this.schema = Objects.requireNonNull(schema, "schema");
            return this;
        }

        /**
         * Sets how long a write waits for another writer; {@link #DEFAULT_LOCK_TIMEOUT} unless set.
         *
         * @param timeout the longest wait, not negative
         * @return this builder
         */
        public Builder optLockTimeout(Duration timeout) {
            this.lockTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * Adds an implementation parameter.
         *
         * @param name the parameter
         * @param value its value
         * @return this builder
         */
        public Builder addParameter(String name, String value) {
            parameters.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** {@return the options} */
        public StoreOptions build() {
            return new StoreOptions(Optional.ofNullable(schema), lockTimeout, parameters);
        }
    }
}
