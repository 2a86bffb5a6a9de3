package org.cnnkit.retrieval.store;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One all-or-nothing change to a {@link VectorStore}: vectors to put (added, or replacing the entry with the same id)
 * and ids to remove. A store applies a batch in one transaction: after a crash, a failure or a refused entry, either
 * every change of the batch is there or none is.
 *
 * <pre>{@code
 * StoreBatch batch = StoreBatch.builder()
 *         .addPut("beach/12.jpg", vector, "size=48213;mtime=1700000000000")
 *         .addRemove("beach/13.jpg")
 *         .build();
 * store.write(batch);
 * }</pre>
 *
 * @param puts the entries to add or replace, in order
 * @param removals the ids to remove (an id that is absent is ignored)
 */
public record StoreBatch(List<Entry> puts, List<String> removals) {

    /**
     * Copies the lists.
     *
     * @param puts the entries to add or replace, in order
     * @param removals the ids to remove (an id that is absent is ignored)
     * @throws NullPointerException if a list or an element is null
     */
    public StoreBatch {
        puts = List.copyOf(puts);
        removals = List.copyOf(removals);
    }

    /** {@return a builder of a batch} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return whether the batch changes nothing} */
    public boolean isEmpty() {
        return puts.isEmpty() && removals.isEmpty();
    }

    /**
     * One vector to store. The vector is not copied: do not change it after building the batch.
     *
     * @param id the entry's id (the image's path relative to the indexed root, or a URI), not blank
     * @param vector the vector as extracted, before transforms
     * @param stamp an opaque string of the caller's (for example a file's size and modification time), or empty
     */
    public record Entry(String id, float[] vector, Optional<String> stamp) {

        /**
         * Validates the entry's presence of fields; values are checked by the store.
         *
         * @param id the entry's id (the image's path relative to the indexed root, or a URI), not blank
         * @param vector the vector as extracted, before transforms
         * @param stamp an opaque string of the caller's (for example a file's size and modification time), or empty
         * @throws NullPointerException if a field is null
         */
        public Entry {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(vector, "vector");
            Objects.requireNonNull(stamp, "stamp");
        }
    }

    /** Collects the changes of a batch. */
    public static final class Builder {

        private final List<Entry> puts = new ArrayList<>();
        private final List<String> removals = new ArrayList<>();

        private Builder() {
        }

        /**
         * Adds a vector to store under an id, replacing the entry with that id if there is one.
         *
         * @param id the id
         * @param vector the vector as extracted
         * @param stamp the caller's stamp, or null for none
         * @return this builder
         */
        public Builder addPut(String id, float[] vector, String stamp) {
            puts.add(new Entry(id, vector, Optional.ofNullable(stamp)));
            return this;
        }

        /**
         * Adds an id to remove.
         *
         * @param id the id
         * @return this builder
         */
        public Builder addRemove(String id) {
            removals.add(Objects.requireNonNull(id, "id"));
            return this;
        }

        /** {@return the batch} */
        public StoreBatch build() {
            return new StoreBatch(puts, removals);
        }
    }
}
