package org.cnnkit.retrieval.store;

import java.util.Objects;
import org.cnnkit.core.CnnkitException;

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
            // The PostgreSQL helper replaces this case with PostgresVectorStore.open(spec, options), catching
            // NoClassDefFoundError to name org.postgresql:postgresql and com.pgvector:pgvector.
            case POSTGRES -> throw notInThisBuild(spec, "org.postgresql:postgresql and com.pgvector:pgvector");
        };
    }

    private static VectorStore openLucene(StoreSpec spec, StoreOptions options) {
        try {
            return org.cnnkit.retrieval.store.lucene.LuceneVectorStore.open(spec, options);
        } catch (NoClassDefFoundError e) {
            throw missingArtifact(spec, "org.apache.lucene:lucene-core 9.12.x", e);
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

    private static CnnkitException notInThisBuild(StoreSpec spec, String artifacts) {
        return new CnnkitException("the " + spec.kind().specName() + " store is not in this build of cnnkit (it "
                + "needs " + artifacts + "); cannot open " + spec);
    }
}
