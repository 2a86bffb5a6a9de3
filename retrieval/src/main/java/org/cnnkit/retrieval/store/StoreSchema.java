package org.cnnkit.retrieval.store;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import org.cnnkit.retrieval.ExtractorIdentity;
import org.cnnkit.retrieval.Metric;
import org.cnnkit.retrieval.QueryExpansion;
import org.cnnkit.retrieval.SearchSettings;
import org.cnnkit.retrieval.VectorTransform;

/**
 * What a {@link VectorStore} holds, fixed when it is created and persisted with it: the dimension of the vectors as
 * they are added (an extractor's output, before any transform), the metric, the transform steps, the identity of the
 * extractor that made the vectors (if known) and free-form properties (for example the extractor spec that rebuilds
 * the extractor, or the root folder the ids are relative to).
 *
 * @param dimension the length of the vectors given to {@link VectorStore#write} and of queries, at least 1
 * @param metric the distance, measured after the transforms
 * @param transforms the steps applied to stored vectors and queries, in order (fitted by the store)
 * @param identity the extractor that made the vectors, or empty when the caller does not know it
 * @param properties free-form settings, copied and sorted by key
 */
public record StoreSchema(int dimension, Metric metric, List<VectorTransform> transforms,
                          Optional<ExtractorIdentity> identity, Map<String, String> properties) {

    /**
     * Validates and copies the schema.
     *
     * @param dimension the length of the vectors given to {@link VectorStore#write} and of queries, at least 1
     * @param metric the distance, measured after the transforms
     * @param transforms the steps applied to stored vectors and queries, in order (fitted by the store)
     * @param identity the extractor that made the vectors, or empty when the caller does not know it
     * @param properties free-form settings, copied and sorted by key
     * @throws IllegalArgumentException if the dimension is below 1, or the identity's dimension differs from it
     */
    public StoreSchema {
        Objects.requireNonNull(metric, "metric");
        transforms = List.copyOf(transforms);
        Objects.requireNonNull(identity, "identity");
        properties = Map.copyOf(new TreeMap<>(properties));
        if (dimension < 1) {
            throw new IllegalArgumentException("store dimension must be at least 1, got " + dimension);
        }
        if (identity.isPresent() && identity.get().dimension() != dimension) {
            throw new IllegalArgumentException("extractor " + identity.get().describe() + " makes "
                    + identity.get().dimension() + "-d vectors, the store is " + dimension + "-d");
        }
    }

    /**
     * Returns the schema for an extractor's vectors compared with the given settings.
     *
     * @param identity the extractor
     * @param settings the metric and the transforms
     * @return the schema, without properties
     */
    public static StoreSchema of(ExtractorIdentity identity, SearchSettings settings) {
        return new StoreSchema(identity.dimension(), settings.metric(), settings.transforms(), Optional.of(identity),
                settings.expansion().map(e -> Map.of(QueryExpansion.PROPERTY, e.toProperty())).orElse(Map.of()));
    }

    /**
     * Returns the metric, the transforms and the query expansion (the property {@value QueryExpansion#PROPERTY}) as
     * search settings.
     *
     * @return the settings
     * @throws org.cnnkit.core.CnnkitException if the expansion property is damaged
     */
    public SearchSettings settings() {
        String expansion = properties.get(QueryExpansion.PROPERTY);
        return new SearchSettings(metric, transforms,
                expansion == null ? Optional.empty() : Optional.of(QueryExpansion.parse(expansion)));
    }

    /**
     * Returns a copy with one more property (or a changed one).
     *
     * @param key the property name
     * @param value its value
     * @return the new schema
     */
    public StoreSchema withProperty(String key, String value) {
        Map<String, String> copy = new TreeMap<>(properties);
        copy.put(key, value);
        return new StoreSchema(dimension, metric, transforms, identity, copy);
    }
}
