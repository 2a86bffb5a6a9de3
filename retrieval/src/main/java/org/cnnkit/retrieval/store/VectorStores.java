package org.cnnkit.retrieval.store;

import java.util.Objects;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.retrieval.store.postgres.PostgresVectorStore;

/**
 * Opens the {@link VectorStore} a {@link StoreSpec} names.
 *
 * <pre>{@code
 * StoreOptions options = StoreOptions.builder().optSchemaForNewStore(schema).build();
 * try (VectorStore store = VectorStores.open(StoreSpec.parse("exact:photos.cfi"), options)) {
 *     store.write(batch);
 * }
 * }</pre>
 *
 * The Lucene and PostgreSQL stores need optional artifacts on the class path; when one is missing, the error names
 * the artifact to add.
 */
public final class VectorStores {

    private VectorStores() {
    }

    /**
     * Opens (or, given a schema in the options, creates) a store.
     *
     * @param spec which store
     * @param options the schema for a new store, the lock timeout and the implementation's parameters
     * @return the open store; close it when done
     * @throws CnnkitException if the store cannot be opened or created (the message says why), or its
     *     implementation's artifacts are not on the class path (the message names them)
     */
    public static VectorStore open(StoreSpec spec, StoreOptions options) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(options, "options");
        return switch (spec.kind()) {
            case EXACT -> ExactVectorStore.open(spec, options);
            case LUCENE -> openLucene(spec, options);
            case POSTGRES -> openPostgres(spec, options);
        };
    }

    private static VectorStore openLucene(StoreSpec spec, StoreOptions options) {
        try {
            return org.cnnkit.retrieval.store.lucene.LuceneVectorStore.open(spec, options);
        } catch (NoClassDefFoundError e) {
            throw missingArtifact(spec, "org.apache.lucene:lucene-core 9.12.x", e);
        }
    }

    private static VectorStore openPostgres(StoreSpec spec, StoreOptions options) {
        try {
            return PostgresVectorStore.open(spec, options);
        } catch (NoClassDefFoundError e) {
            throw missingArtifact(spec, "org.postgresql:postgresql and com.pgvector:pgvector", e);
        }
    }

    /**
     * Returns the error for a store whose optional artifacts are missing from the class path.
     *
     * @param spec the store asked for
     * @param artifacts the groupId:artifactId of each artifact to add
     * @return the exception to throw
     */
    static CnnkitException missingArtifact(StoreSpec spec, String artifacts, Throwable cause) {
        return new CnnkitException("the " + spec.kind().specName() + " store needs " + artifacts
                + " on the class path (add the dependency to your build); cannot open " + spec, cause);
    }
}
