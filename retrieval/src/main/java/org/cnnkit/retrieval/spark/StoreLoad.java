package org.cnnkit.retrieval.spark;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.ForeachPartitionFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.core.progress.ProgressTracker;
import org.cnnkit.retrieval.ImageSearch;
import org.cnnkit.retrieval.SearchSettings;
import org.cnnkit.retrieval.store.StoreBatch;
import org.cnnkit.retrieval.store.StoreOptions;
import org.cnnkit.retrieval.store.StoreSchema;
import org.cnnkit.retrieval.store.StoreSpec;
import org.cnnkit.retrieval.store.VectorStore;
import org.cnnkit.retrieval.store.VectorStores;

/**
 * Loads a {@link FeatureTable} written by the {@link SparkFeatureJob} into a {@link VectorStore}: on one machine
 * ({@link #runLocally}, what {@code cnnkit index --from-parquet} does, any store) or from every partition of a
 * cluster ({@link #runDistributed}, the PostgreSQL store only). Every write is a put by id with the file's size and
 * modification time as its stamp (the stamp {@code cnnkit index} uses, so a later {@code index} of the same folder
 * finds the files unchanged): loading a table twice, or a task that Spark retries, never duplicates an entry.
 *
 * <p>A new store is created with the table's extractor identity, the given search settings and, for a local input,
 * the input folder as the root of the image ids; the first write holds up to {@link Builder#optFitSample} vectors,
 * on which a store fits its transforms. An existing store that records another extractor is refused.
 */
public final class StoreLoad {

    private final String table;
    private final StoreSpec store;
    private final Map<String, String> parameters;
    private final SearchSettings settings;
    private final int batchSize;
    private final int fitSample;
    private final int failOncePartition;

    private StoreLoad(Builder builder) {
        this.table = Objects.requireNonNull(builder.table, "setTable is required");
        this.store = Objects.requireNonNull(builder.store, "setStore is required");
        this.parameters = Map.copyOf(builder.parameters);
        this.settings = builder.settings;
        this.batchSize = builder.batchSize;
        this.fitSample = builder.fitSample;
        this.failOncePartition = builder.failOncePartition;
    }

    /** {@return a builder} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Loads the table from this JVM, streaming it a partition at a time (memory: one partition and one batch), then
     * refits the store's transforms where the store can.
     *
     * @param spark the session (a {@code local[1]} one will do)
     * @param listener receives progress, in vectors
     * @return what was loaded
     * @throws CnnkitException if the table is not a cnnkit features table, or the store records another extractor
     */
    public Report runLocally(SparkSession spark, ProgressListener listener) {
        Dataset<Row> features = features(spark);
        FeatureTable description = FeatureTable.of(features.schema(), table);
        long rows = features.count();
        ProgressTracker tracker = ProgressTracker.start("loading " + table, rows,
                listener == null ? ProgressListener.none() : listener);
        long loaded = 0;
        try (VectorStore target = openOrCreate(description)) {
            Iterator<Row> iterator = features.toLocalIterator();
            UnaryOperator<String> ids = storeIds(store, target.schema(), description.root());
            int limit = target.pipeline().isEmpty() ? Math.max(fitSample, batchSize) : batchSize;
            while (iterator.hasNext()) {
                int written = writeBatch(target, iterator, limit, ids);
                loaded += written;
                tracker.advance(written);
                limit = batchSize;
            }
            if (loaded > 0) {
                target.refit();
            }
            tracker.finish();
            return new Report(loaded, target.size(), description);
        }
    }

    /**
     * Loads the table from every partition at once into a PostgreSQL store: the driver creates the store if needed
     * and writes its first batch (the fitting sample, at most {@link Builder#optFitSample} vectors), then each task
     * puts its partition's rows in batches over its own connection.
     *
     * @param spark the session
     * @return what was loaded (rows of the table; the sample is written twice, which changes nothing)
     * @throws CnnkitException if the store is not a PostgreSQL store, the table is not a cnnkit features table, or
     *     the store records another extractor
     */
    public Report runDistributed(SparkSession spark) {
        if (store.kind() != StoreSpec.Kind.POSTGRES) {
            throw new CnnkitException("the Spark job loads only a postgres: store from its tasks; load "
                    + store + " on one machine with cnnkit index --from-parquet " + table);
        }
        Dataset<Row> features = features(spark);
        FeatureTable description = FeatureTable.of(features.schema(), table);
        try (VectorStore target = openOrCreate(description)) {
            if (target.pipeline().isEmpty()) {
                writeBatch(target, features.toLocalIterator(), fitSample,
                        storeIds(store, target.schema(), description.root()));
            }
        }
        features.foreachPartition(new PartitionWriter(store.kind().name(), store.location(),
                new HashMap<>(parameters), description.root(), batchSize, failOncePartition));
        long rows = features.count();
        try (VectorStore target = VectorStores.open(store, options(null))) {
            return new Report(rows, target.size(), description);
        }
    }

    private Dataset<Row> features(SparkSession spark) {
        return readTable(spark, table + "/" + FeatureTable.FEATURES);
    }

    /** Reads a Parquet table, saying which one is missing rather than failing with Spark's analysis error. */
    static Dataset<Row> readTable(SparkSession spark, String location) {
        try {
            return spark.read().parquet(location);
        } catch (Exception e) { // Spark's AnalysisException is a checked exception thrown from Scala
            if (e instanceof org.apache.spark.sql.AnalysisException) {
                throw new CnnkitException("no features table at " + location + ": "
                        + e.getMessage().lines().findFirst().orElse(""), e);
            }
            throw e;
        }
    }

    private VectorStore openOrCreate(FeatureTable description) {
        StoreSchema schema;
        if (description.root().startsWith("file:")) {
            Path root = localPath(description.root());
            schema = ImageSearch.newStoreSchema(store, description.identity(), settings,
                    description.extractorProperties(), root);
        } else {
            schema = StoreSchema.of(description.identity(), settings);
            for (var property : description.extractorProperties().entrySet()) {
                schema = schema.withProperty(property.getKey(), property.getValue());
            }
        }
        VectorStore target = VectorStores.open(store, options(schema));
        StoreSchema existing = target.schema();
        if (existing.identity().isPresent() && !existing.identity().get().equals(description.identity())) {
            target.close();
            throw new CnnkitException("the store " + store + " was built with extractor ["
                    + existing.identity().get().describe() + "] but the table " + table + " holds vectors of ["
                    + description.identity().describe() + "]: load it into another store");
        }
        return target;
    }

    private StoreOptions options(StoreSchema schema) {
        StoreOptions.Builder builder = StoreOptions.builder();
        parameters.forEach(builder::addParameter);
        if (schema != null) {
            builder.optSchemaForNewStore(schema);
        }
        return builder.build();
    }

    /**
     * How the store keys a row: a table of a local input holds ids relative to the job's input root, and a store
     * keys the same file relative to the root it records (or by its absolute path where it records none), as
     * {@link ImageSearch#idOf} says; the full URIs of a remote input's table are kept as they are.
     */
    static UnaryOperator<String> storeIds(StoreSpec spec, StoreSchema schema, String tableRoot) {
        if (!tableRoot.startsWith("file:")) {
            return UnaryOperator.identity();
        }
        Path root = localPath(tableRoot);
        return id -> ImageSearch.idOf(spec, schema, root.resolve(id));
    }

    private static Path localPath(String fileUri) {
        return Path.of(java.net.URI.create(fileUri.replaceFirst("^file:/+", "file:///")));
    }

    /** Writes up to {@code limit} rows from the iterator as one batch, keyed by {@code ids}; returns how many. */
    static int writeBatch(VectorStore target, Iterator<Row> rows, int limit, UnaryOperator<String> ids) {
        StoreBatch.Builder batch = StoreBatch.builder();
        int count = 0;
        while (count < limit && rows.hasNext()) {
            Row row = rows.next();
            batch.addPut(ids.apply(row.getString(0)), vectorOf(row), row.getLong(1) + ":" + row.getTimestamp(2).getTime());
            count++;
        }
        if (count > 0) {
            target.write(batch.build());
        }
        return count;
    }

    private static float[] vectorOf(Row row) {
        java.util.List<Float> values = row.getList(3);
        float[] vector = new float[values.size()];
        for (int i = 0; i < vector.length; i++) {
            vector[i] = values.get(i);
        }
        return vector;
    }

    /** One task's share of a distributed load: opens the existing store and puts its rows in batches. */
    private static final class PartitionWriter implements ForeachPartitionFunction<Row> {

        private static final long serialVersionUID = 1L;

        private final String kind;
        private final String location;
        private final HashMap<String, String> parameters;
        private final String tableRoot;
        private final int batchSize;
        private final int failOncePartition;

        PartitionWriter(String kind, String location, HashMap<String, String> parameters, String tableRoot,
                        int batchSize, int failOncePartition) {
            this.kind = kind;
            this.location = location;
            this.parameters = parameters;
            this.tableRoot = tableRoot;
            this.batchSize = batchSize;
            this.failOncePartition = failOncePartition;
        }

        @Override
        public void call(Iterator<Row> rows) {
            TaskContext task = TaskContext.get();
            boolean fail = task != null && task.partitionId() == failOncePartition && task.attemptNumber() == 0;
            StoreOptions.Builder options = StoreOptions.builder();
            parameters.forEach(options::addParameter);
            StoreSpec spec = new StoreSpec(StoreSpec.Kind.valueOf(kind), location);
            try (VectorStore target = VectorStores.open(spec, options.build())) {
                UnaryOperator<String> ids = storeIds(spec, target.schema(), tableRoot);
                while (rows.hasNext()) {
                    writeBatch(target, rows, batchSize, ids);
                    if (fail) {
                        throw new IllegalStateException("injected failure of store-load partition "
                                + failOncePartition + ", attempt 0 (a test of task retries)");
                    }
                }
            }
        }
    }

    /**
     * What a load did.
     *
     * @param loaded the vectors put
     * @param total the entries in the store afterwards
     * @param table the loaded table's description
     */
    public record Report(long loaded, long total, FeatureTable table) {
    }

    /** Configures a {@link StoreLoad}: {@code setX} required, {@code optX} optional. */
    public static final class Builder {

        private String table;
        private StoreSpec store;
        private Map<String, String> parameters = Map.of();
        private SearchSettings settings = SearchSettings.defaults();
        private int batchSize = 1000;
        private int fitSample = ImageSearch.DEFAULT_FIT_SAMPLE;
        private int failOncePartition = -1;

        private Builder() {
        }

        /**
         * Sets the job's output folder (the one holding {@value FeatureTable#FEATURES}).
         *
         * @param table the folder, any path Spark reads
         * @return this builder
         */
        public Builder setTable(String table) {
            this.table = Objects.requireNonNull(table, "table");
            return this;
        }

        /**
         * Sets the store to load into (created if it does not exist).
         *
         * @param store the store
         * @return this builder
         */
        public Builder setStore(StoreSpec store) {
            this.store = Objects.requireNonNull(store, "store");
            return this;
        }

        /**
         * Sets the store's parameters ({@code --store-option K=V}).
         *
         * @param parameters the parameters
         * @return this builder
         */
        public Builder optParameters(Map<String, String> parameters) {
            this.parameters = Map.copyOf(parameters);
            return this;
        }

        /**
         * Sets the metric and transforms of a new store (default {@link SearchSettings#defaults()}).
         *
         * @param settings the settings
         * @return this builder
         */
        public Builder optSettings(SearchSettings settings) {
            this.settings = Objects.requireNonNull(settings, "settings");
            return this;
        }

        /**
         * Sets the vectors per write (default 1000).
         *
         * @param vectors the batch size, at least 1
         * @return this builder
         */
        public Builder optBatchSize(int vectors) {
            if (vectors < 1) {
                throw new IllegalArgumentException("batch size must be at least 1, got " + vectors);
            }
            this.batchSize = vectors;
            return this;
        }

        /**
         * Sets the size of the first write into a store whose transforms need fitting (default
         * {@value ImageSearch#DEFAULT_FIT_SAMPLE}, as {@code cnnkit index}).
         *
         * @param vectors the sample size, at least 1
         * @return this builder
         */
        public Builder optFitSample(int vectors) {
            if (vectors < 1) {
                throw new IllegalArgumentException("fit sample must be at least 1, got " + vectors);
            }
            this.fitSample = vectors;
            return this;
        }

        /** Makes the first attempt of one partition fail after its first write (tests of retries). */
        Builder optFailOncePartition(int partition) {
            this.failOncePartition = partition;
            return this;
        }

        /** {@return the load} */
        public StoreLoad build() {
            return new StoreLoad(this);
        }
    }
}
