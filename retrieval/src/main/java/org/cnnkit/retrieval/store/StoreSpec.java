package org.cnnkit.retrieval.store;

import java.util.Arrays;
import java.util.Locale;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import org.cnnkit.core.CnnkitException;

/**
 * Names a {@link VectorStore}: its kind and where it lives, written {@code KIND:LOCATION}, for example
 * {@code exact:photos.cfi}, {@code lucene:photos-index/} or
 * {@code postgres:jdbc:postgresql://db.example.com:5432/images?user=cnnkit}. A password is never part of a spec: it
 * comes from the environment or a file.
 *
 * @param kind the implementation
 * @param location a file for {@link Kind#EXACT}, a folder for {@link Kind#LUCENE}, a JDBC URL for
 *     {@link Kind#POSTGRES}
 */
public record StoreSpec(Kind kind, String location) {

    /** The store implementations. */
    public enum Kind {
        /** The exact in-memory index saved to one {@code .cfi} file. */
        EXACT,
        /** An approximate HNSW index on disk, built on Apache Lucene. */
        LUCENE,
        /** A PostgreSQL table with the pgvector extension. */
        POSTGRES;

        /** Returns the kind's name as written in a spec, such as {@code lucene}. */
        public String specName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Validates the spec.
     *
     * @throws CnnkitException if the location is blank
     */
    public StoreSpec {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(location, "location");
        if (location.isBlank()) {
            throw new CnnkitException("store spec " + kind.specName() + ": has no location; write "
                    + kind.specName() + ":" + example(kind));
        }
    }

    /**
     * Parses {@code KIND:LOCATION}.
     *
     * @param text the spec
     * @return the parsed spec
     * @throws CnnkitException if the kind is missing or unknown, or the location is blank; the message lists the
     *     kinds with an example of each
     */
    public static StoreSpec parse(String text) {
        Objects.requireNonNull(text, "text");
        int colon = text.indexOf(':');
        String kinds = Arrays.stream(Kind.values()).map(k -> k.specName() + ":" + example(k))
                .collect(Collectors.joining(", "));
        if (colon <= 0) {
            throw new CnnkitException("store spec '" + text + "' has no kind; write KIND:LOCATION, one of " + kinds);
        }
        String name = text.substring(0, colon).trim().toLowerCase(Locale.ROOT);
        for (Kind kind : Kind.values()) {
            if (kind.specName().equals(name)) {
                return new StoreSpec(kind, text.substring(colon + 1));
            }
        }
        throw new CnnkitException("store spec '" + text + "' has the unknown kind '" + name + "'; write one of "
                + kinds);
    }

    private static String example(Kind kind) {
        return switch (kind) {
            case EXACT -> "photos.cfi";
            case LUCENE -> "photos-index/";
            case POSTGRES -> "jdbc:postgresql://localhost:5432/images";
        };
    }

    /**
     * Returns the folder that holds the store: the folder of the {@code .cfi} file of an exact store, the folder
     * that contains the index folder of a Lucene store. Relative image ids are kept relative to a root recorded
     * relative to this folder, so that a store moved together with its images still finds them.
     *
     * @return the absolute folder, or empty for a store that is not on the local file system (PostgreSQL)
     */
    public Optional<Path> homeFolder() {
        if (kind == Kind.POSTGRES) {
            return Optional.empty();
        }
        Path store = Path.of(location).toAbsolutePath().normalize();
        return Optional.of(store.getParent() == null ? store : store.getParent());
    }

    /** Returns the spec as {@code KIND:LOCATION}, the form {@link #parse(String)} reads. */
    @Override
    public String toString() {
        return kind.specName() + ":" + location;
    }
}
