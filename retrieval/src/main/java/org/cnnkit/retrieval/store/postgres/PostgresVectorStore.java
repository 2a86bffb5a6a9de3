package org.cnnkit.retrieval.store.postgres;

import com.pgvector.PGvector;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.retrieval.ExtractorIdentity;
import org.cnnkit.retrieval.Match;
import org.cnnkit.retrieval.SearchPipeline;
import org.cnnkit.retrieval.VectorTransform;
import org.cnnkit.retrieval.store.StoreBatch;
import org.cnnkit.retrieval.store.StoreChecks;
import org.cnnkit.retrieval.store.StoreNotFoundException;
import org.cnnkit.retrieval.store.StoreOptions;
import org.cnnkit.retrieval.store.StoreSchema;
import org.cnnkit.retrieval.store.StoreSpec;
import org.cnnkit.retrieval.store.VectorStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL store: a collection of vectors in a table of a PostgreSQL database with the pgvector extension,
 * searched through an HNSW index, shared by every process that connects to the database. Named by the spec
 * {@code postgres:jdbc:postgresql://HOST:PORT/DATABASE?user=USER}; the password never goes in the spec: it comes from
 * {@code PGPASSWORD}, from the variable named by the parameter {@code password-env}, or from the file named by
 * {@code password-file}.
 *
 * <h2>Parameters</h2>
 * <ul>
 *   <li>{@code collection}: the collection, which is also its table's name (default {@value #DEFAULT_COLLECTION}; a
 *   lower-case SQL identifier of at most 48 characters);</li>
 *   <li>{@code m} (default 16) and {@code ef-construction} (default 64): the HNSW index's links per node and build
 *   candidate list, fixed when the collection's first vectors are written;</li>
 *   <li>{@code ef-search} (default 100): the search candidate list, {@code SET LOCAL hnsw.ef_search} per search,
 *   raised to k;</li>
 *   <li>{@code maintenance-work-mem} (default {@value #DEFAULT_BUILD_MEMORY}): the server memory for building the
 *   index on the first write, {@code SET LOCAL maintenance_work_mem};</li>
 *   <li>{@code pool-size} (default 4): connections kept open between operations;</li>
 *   <li>{@code password-file}, {@code password-env}: where the password is.</li>
 * </ul>
 *
 * <h2>Tables</h2>
 * The metadata table {@code cnnkit_collections} holds one row per collection: format version, schema, extractor
 * identity, properties, HNSW parameters and the fitted search pipeline. The collection's table
 * {@code (id text PRIMARY KEY, stamp text, embedding vector(d) NOT NULL)} holds the vectors after the pipeline, as
 * {@code vector(d)} up to 2,000 dimensions and {@code halfvec(d)} up to 4,000 (pgvector's index limits; beyond them
 * the store refuses and asks for a PCA step), with an HNSW index ({@code vector_l2_ops} for Euclidean,
 * {@code vector_cosine_ops} for cosine; {@code <->} is the Euclidean distance and {@code <=>} is {@code 1 - cos},
 * exactly {@link VectorStore}'s distances). Both are created on demand; the pgvector extension is created if it is
 * missing and the user may.
 *
 * <h2>Writes</h2>
 * Each {@link #write} is one transaction, durable when it returns ({@code synchronous_commit} on): it locks the
 * collection's row in {@code cnnkit_collections} ({@code SELECT ... FOR UPDATE}, waiting up to the lock timeout of
 * the options), so writers in all processes take turns; it loads the puts with binary {@code COPY} into a temporary
 * staging table, upserts them into the collection's table and deletes the removals. The first write with vectors
 * fits the pipeline on its puts, creates the table, copies the rows straight into it and builds the HNSW index after
 * loading (much faster than growing it row by row), all in the same transaction. A failure or a crash (the server
 * rolls back the transaction of a lost connection) leaves nothing of the batch.
 *
 * <h2>Searches</h2>
 * A search takes a connection and makes one round trip per query: one two-statement string, sent with one
 * {@code Sync} and run by the server as one implicit transaction, sets {@code hnsw.ef_search} (and pgvector's
 * strict-order iterative scan, so that k matches come back when the table holds k) for that transaction only
 * ({@code set_config(..., true)}, the {@code SET LOCAL} form) and runs {@code ORDER BY embedding <-> $1 LIMIT k}.
 * Searches run while others write and see each batch wholly or not at all (PostgreSQL's snapshots).
 *
 * <h2>Connections</h2>
 * A small pool of the store's own: an operation takes a connection and gives it back; up to {@code pool-size} stay
 * open between operations; more are opened when more threads work at once. Safe for many threads.
 */
public final class PostgresVectorStore implements VectorStore {

    /** The collection used when the parameter {@code collection} is not given. */
    public static final String DEFAULT_COLLECTION = "images";

    /** The parameters this store takes. */
    public static final Set<String> PARAMETERS = Set.of("collection", "m", "ef-construction", "ef-search",
            "maintenance-work-mem", "pool-size", "password-file", "password-env");

    private static final Logger LOG = LoggerFactory.getLogger(PostgresVectorStore.class);

    private static final String DEFAULT_BUILD_MEMORY = "512MB";
    private static final int DEFAULT_POOL_SIZE = 4;
    private static final int MAX_COLLECTION_LENGTH = 48;
    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]*");
    private static final Pattern MEMORY = Pattern.compile("[1-9][0-9]{0,8}(kB|MB|GB)");
    private static final int FETCH_SIZE = 1_000;

    private final ConnectionSettings settings;
    private final ConnectionPool pool;
    private final String collection;
    private final String table;
    private final StoreSchema schema;
    private final HnswSettings hnsw;
    private final String buildMemory;
    private final Duration lockTimeout;
    // Set once the collection has vectors (by this process or, seen later, by another); never changes after.
    private volatile Content content;
    private volatile boolean closed;

    /** The fitted pipeline and the vector column, known once the collection's table exists. */
    private record Content(SearchPipeline pipeline, VectorColumn column) {
    }

    /** One unit of work on a connection inside a transaction. */
    @FunctionalInterface
    private interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    private PostgresVectorStore(ConnectionSettings settings, ConnectionPool pool, String collection,
                                StoreSchema schema, HnswSettings hnsw, String buildMemory, Duration lockTimeout,
                                Content content) {
        this.settings = settings;
        this.pool = pool;
        this.collection = collection;
        this.table = '"' + collection + '"';
        this.schema = schema;
        this.hnsw = hnsw;
        this.buildMemory = buildMemory;
        this.lockTimeout = lockTimeout;
        this.content = content;
    }

    /**
     * Opens a collection, creating it (its row in the metadata table; its table comes with the first vectors) when
     * it does not exist and the options carry a schema.
     *
     * @param spec a {@code postgres:jdbc:postgresql://...} spec, without a password
     * @param options the schema for a new collection, the lock timeout, and the parameters listed in the class
     *     description
     * @return the open store; close it to close its connections
     * @throws StoreNotFoundException if the collection does not exist and the options give no schema
     * @throws CnnkitException if the spec is not a PostgreSQL JDBC URL or holds a password, a parameter is unknown
     *     or out of range, the server cannot be reached, pgvector is missing, the collection does not exist and no
     *     schema is given, the given schema's extractor or dimension differs from the stored one, or the vectors
     *     would be too long for pgvector's index
     */
    public static PostgresVectorStore open(StoreSpec spec, StoreOptions options) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(options, "options");
        if (spec.kind() != StoreSpec.Kind.POSTGRES) {
            throw new CnnkitException("store spec " + spec.kind().specName() + ":... is not a postgres store");
        }
        options.requireKnownParameters(StoreSpec.Kind.POSTGRES, PARAMETERS);
        String collection = collectionName(options.parameter("collection").orElse(DEFAULT_COLLECTION));
        HnswSettings hnsw = HnswSettings.of(options);
        String buildMemory = options.parameter("maintenance-work-mem").orElse(DEFAULT_BUILD_MEMORY).trim();
        if (!MEMORY.matcher(buildMemory).matches()) {
            throw new CnnkitException("store parameter maintenance-work-mem=" + buildMemory + " is not a size such "
                    + "as 512MB or 2GB (a number with kB, MB or GB)");
        }
        int poolSize = options.intParameter("pool-size", DEFAULT_POOL_SIZE, 1, 64);
        ConnectionSettings settings = ConnectionSettings.of(spec.location(), options, System.getenv());
        ConnectionPool pool = new ConnectionPool(settings, poolSize);
        PostgresVectorStore opening = new PostgresVectorStore(settings, pool, collection,
                options.schemaForNewStore().orElse(null), hnsw, buildMemory, options.lockTimeout(), null);
        try {
            CollectionRecord record = opening.inTransaction("opening", connection ->
                    openRecord(connection, opening, options));
            Content content = record.column().isPresent()
                    ? new Content(record.pipeline().orElseThrow(), record.column().get()) : null;
            HnswSettings effective = new HnswSettings(record.hnsw().m(), record.hnsw().efConstruction(),
                    hnsw.efSearch());
            return new PostgresVectorStore(settings, pool, collection, record.schema(), effective, buildMemory,
                    options.lockTimeout(), content);
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
    }

    private static CollectionRecord openRecord(Connection connection, PostgresVectorStore store,
                                               StoreOptions options) throws SQLException {
        Optional<StoreSchema> wanted = options.schemaForNewStore();
        if (wanted.isEmpty()) {
            Optional<CollectionRecord> record = CollectionCatalog.exists(connection)
                    ? CollectionCatalog.read(connection, store.collection, false) : Optional.empty();
            return record.orElseThrow(() -> new StoreNotFoundException("there is no collection '" + store.collection
                    + "' in " + store.settings.maskedUrl() + " (index a folder into it first)"));
        }
        CollectionCatalog.prepare(connection, store.settings.maskedUrl());
        Optional<CollectionRecord> existing = CollectionCatalog.read(connection, store.collection, false);
        if (existing.isPresent()) {
            requireCompatible(store, existing.get(), wanted.get(), options);
            return existing.get();
        }
        StoreSchema schema = wanted.get();
        requireIndexable(schema, store.describe());
        if (CollectionCatalog.relationExists(connection, store.collection)) {
            throw new CnnkitException("the database " + store.settings.maskedUrl() + " has a table '"
                    + store.collection + "' that is not a cnnkit collection; choose another name with the "
                    + "parameter collection=NAME");
        }
        CollectionCatalog.insert(connection, store.collection, schema, store.hnsw);
        LOG.info("created collection '{}' in {} ({}-d, {}, transforms {})", store.collection,
                store.settings.maskedUrl(), schema.dimension(), schema.metric(), schema.transforms());
        return new CollectionRecord(store.collection, CollectionCatalog.FORMAT_VERSION, schema, store.hnsw,
                Optional.empty(), Optional.empty());
    }

    private static void requireCompatible(PostgresVectorStore store, CollectionRecord record, StoreSchema wanted,
                                          StoreOptions options) {
        StoreSchema stored = record.schema();
        Optional<ExtractorIdentity> have = stored.identity();
        Optional<ExtractorIdentity> want = wanted.identity();
        if (have.isPresent() && want.isPresent() && !have.get().equals(want.get())) {
            throw new CnnkitException(store.describe() + " was built with extractor [" + have.get().describe()
                    + "] but the vectors come from [" + want.get().describe()
                    + "]: use the same extractor, or index into a new collection");
        }
        if (stored.dimension() != wanted.dimension()) {
            throw new CnnkitException(store.describe() + " holds " + stored.dimension()
                    + "-d vectors but the vectors to add are " + wanted.dimension() + "-d");
        }
        boolean mGiven = options.parameter("m").isPresent();
        boolean efGiven = options.parameter("ef-construction").isPresent();
        if ((mGiven && store.hnsw.m() != record.hnsw().m())
                || (efGiven && store.hnsw.efConstruction() != record.hnsw().efConstruction())) {
            throw new CnnkitException(store.describe() + " was created with m=" + record.hnsw().m()
                    + ", ef-construction=" + record.hnsw().efConstruction() + "; these parameters are fixed when "
                    + "a collection is created (use a new collection to change them)");
        }
    }

    /** Refuses a schema whose vectors cannot fit pgvector's index whatever the fit gives. */
    private static void requireIndexable(StoreSchema schema, String where) {
        int largest = schema.dimension();
        for (VectorTransform step : schema.transforms()) {
            if (step.kind() == VectorTransform.Kind.PCA_VARIANCE) {
                return;
            }
            if (step.kind() == VectorTransform.Kind.PCA || step.kind() == VectorTransform.Kind.PCA_WHITENED) {
                largest = Math.min(largest, step.dimensions());
            }
        }
        VectorColumn.forDimension(largest, where);
    }

    private static String collectionName(String name) {
        String trimmed = name.trim();
        if (trimmed.length() > MAX_COLLECTION_LENGTH || !IDENTIFIER.matcher(trimmed).matches()
                || trimmed.equals(CollectionCatalog.TABLE) || trimmed.startsWith("pg_")) {
            throw new CnnkitException("store parameter collection=" + name + " is not a valid collection name: use "
                    + "lower-case letters, digits and _, starting with a letter or _, at most " + MAX_COLLECTION_LENGTH
                    + " characters (not " + CollectionCatalog.TABLE + ", not pg_...)");
        }
        return trimmed;
    }

    /**
     * Returns the collection's name.
     *
     * @return the name, also its table's name
     */
    public String collection() {
        return collection;
    }

    @Override
    public StoreSchema schema() {
        requireOpen();
        return schema;
    }

    @Override
    public Optional<SearchPipeline> pipeline() {
        return knownContent().map(Content::pipeline);
    }

    @Override
    public long size() {
        if (knownContent().isEmpty()) {
            return 0;
        }
        return inTransaction("counting the entries", connection -> {
            try (Statement statement = connection.createStatement();
                 ResultSet rows = statement.executeQuery("SELECT count(*) FROM " + table)) {
                rows.next();
                return rows.getLong(1);
            }
        });
    }

    @Override
    public boolean contains(String id) {
        Objects.requireNonNull(id, "id");
        return knownContent().isPresent() && inTransaction("looking up an id", connection -> {
            try (PreparedStatement statement = connection.prepareStatement("SELECT 1 FROM " + table
                    + " WHERE id = ?")) {
                statement.setString(1, id);
                try (ResultSet rows = statement.executeQuery()) {
                    return rows.next();
                }
            }
        });
    }

    @Override
    public Optional<String> stamp(String id) {
        Objects.requireNonNull(id, "id");
        if (knownContent().isEmpty()) {
            return Optional.empty();
        }
        return inTransaction("reading a stamp", connection -> {
            try (PreparedStatement statement = connection.prepareStatement("SELECT stamp FROM " + table
                    + " WHERE id = ?")) {
                statement.setString(1, id);
                try (ResultSet rows = statement.executeQuery()) {
                    return rows.next() ? Optional.ofNullable(rows.getString(1)) : Optional.<String>empty();
                }
            }
        });
    }

    @Override
    public void forEachEntry(BiConsumer<String, String> visitor) {
        Objects.requireNonNull(visitor, "visitor");
        if (knownContent().isEmpty()) {
            return;
        }
        inTransaction("listing the entries", connection -> {
            try (PreparedStatement statement = connection.prepareStatement("SELECT id, stamp FROM " + table)) {
                statement.setFetchSize(FETCH_SIZE);
                try (ResultSet rows = statement.executeQuery()) {
                    while (rows.next()) {
                        visitor.accept(rows.getString(1), rows.getString(2));
                    }
                }
            }
            return null;
        });
    }

    /**
     * Returns the collection's size on the server: {@code table} (rows, with TOAST) and {@code index} (the HNSW and
     * primary key indexes), in bytes; zeros before the first write.
     *
     * @return the sizes by name
     */
    public Map<String, Long> sizeOnServer() {
        Map<String, Long> sizes = new LinkedHashMap<>();
        sizes.put("table", 0L);
        sizes.put("index", 0L);
        if (knownContent().isEmpty()) {
            return sizes;
        }
        return inTransaction("measuring the collection", connection -> {
            try (PreparedStatement statement = connection.prepareStatement("SELECT pg_table_size(to_regclass(?)), "
                    + "pg_indexes_size(to_regclass(?))")) {
                statement.setString(1, table);
                statement.setString(2, table);
                try (ResultSet rows = statement.executeQuery()) {
                    rows.next();
                    sizes.put("table", rows.getLong(1));
                    sizes.put("index", rows.getLong(2));
                }
            }
            return sizes;
        });
    }

    @Override
    public void write(StoreBatch batch) {
        Objects.requireNonNull(batch, "batch");
        requireOpen();
        StoreChecks.requireValid(schema, batch);
        if (batch.isEmpty()) {
            return;
        }
        String what = "writing a batch of " + batch.puts().size() + " puts and " + batch.removals().size()
                + " removals";
        Content written = inTransaction(what, connection -> writeInTransaction(connection, batch));
        if (written != null && content == null) {
            content = written;
        }
    }

    private Content writeInTransaction(Connection connection, StoreBatch batch) throws SQLException {
        setLocal(connection, "lock_timeout", Math.max(1, Math.min(Integer.MAX_VALUE, lockTimeout.toMillis())) + "ms");
        setLocal(connection, "synchronous_commit", "on");
        CollectionRecord record = CollectionCatalog.read(connection, collection, true).orElseThrow(() ->
                new CnnkitException(describe() + " no longer exists (its row in " + CollectionCatalog.TABLE
                        + " was deleted)"));
        List<StoreBatch.Entry> puts = batch.puts();
        float[][] raw = new float[puts.size()][];
        List<String> ids = new ArrayList<>(puts.size());
        List<String> stamps = new ArrayList<>(puts.size());
        for (int i = 0; i < raw.length; i++) {
            raw[i] = puts.get(i).vector();
            ids.add(puts.get(i).id());
            stamps.add(puts.get(i).stamp().orElse(null));
        }
        if (!record.hasTable()) {
            if (puts.isEmpty()) {
                return null;
            }
            SearchPipeline pipeline = record.pipeline().orElseGet(() -> SearchPipeline.fit(schema.transforms(), raw));
            VectorColumn column = VectorColumn.forDimension(pipeline.outputDimension(), describe());
            try (Statement statement = connection.createStatement()) {
                statement.execute("CREATE TABLE " + table + " (id text PRIMARY KEY, stamp text, embedding "
                        + column.sqlType() + " NOT NULL)");
            }
            float[][] vectors = transform(pipeline, raw);
            if (column.type() == VectorColumn.Type.VECTOR) {
                BinaryCopy.copy(connection, table, ids, stamps, vectors);
            } else {
                upsert(connection, column, ids, stamps, vectors);
            }
            buildIndex(connection, column, puts.size());
            CollectionCatalog.setContent(connection, collection, pipeline, column);
            return new Content(pipeline, column);
        }
        VectorColumn column = record.column().get();
        SearchPipeline pipeline = record.pipeline().orElseThrow();
        if (!batch.removals().isEmpty()) {
            try (PreparedStatement statement = connection.prepareStatement("DELETE FROM " + table
                    + " WHERE id = ANY (?)")) {
                statement.setArray(1, connection.createArrayOf("text", batch.removals().toArray(new String[0])));
                statement.executeUpdate();
            }
        }
        if (!puts.isEmpty()) {
            upsert(connection, column, ids, stamps, transform(pipeline, raw));
        }
        CollectionCatalog.touch(connection, collection);
        return new Content(pipeline, column);
    }

    /** Copies rows into a temporary staging table, then inserts them or replaces the rows with their ids. */
    private void upsert(Connection connection, VectorColumn column, List<String> ids, List<String> stamps,
                        float[][] vectors) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("CREATE TEMPORARY TABLE cnnkit_staging (id text, stamp text, embedding vector) "
                    + "ON COMMIT DROP");
            BinaryCopy.copy(connection, "cnnkit_staging", ids, stamps, vectors);
            statement.executeUpdate("INSERT INTO " + table + " (id, stamp, embedding) SELECT id, stamp, embedding::"
                    + column.sqlType() + " FROM cnnkit_staging ON CONFLICT (id) DO UPDATE SET stamp = EXCLUDED.stamp, "
                    + "embedding = EXCLUDED.embedding");
            statement.execute("DROP TABLE cnnkit_staging");
        }
    }

    private void buildIndex(Connection connection, VectorColumn column, int rows) throws SQLException {
        LOG.info("building the HNSW index of collection '{}' over {} vectors (m={}, ef_construction={})", collection,
                rows, hnsw.m(), hnsw.efConstruction());
        setLocal(connection, "maintenance_work_mem", buildMemory);
        try (Statement statement = connection.createStatement()) {
            statement.execute("CREATE INDEX \"" + collection + "_embedding_hnsw\" ON " + table + " USING hnsw "
                    + "(embedding " + column.operatorClass(schema.metric()) + ") WITH (m = " + hnsw.m()
                    + ", ef_construction = " + hnsw.efConstruction() + ")");
            statement.execute("ANALYZE " + table);
        }
    }

    @Override
    public List<List<Match>> search(float[][] queries, int k) {
        Objects.requireNonNull(queries, "queries");
        requireOpen();
        StoreChecks.requireValidQueries(schema, queries, k);
        Optional<Content> known = knownContent();
        if (known.isEmpty() || queries.length == 0) {
            List<List<Match>> none = new ArrayList<>(queries.length);
            for (int q = 0; q < queries.length; q++) {
                none.add(List.of());
            }
            return none;
        }
        Content current = known.get();
        float[][] transformed = transform(current.pipeline(), queries);
        String sql = searchSettingsSql() + "; " + searchSql(current.column(), false);
        return inAutoCommit("searching", connection -> {
            List<List<Match>> results = new ArrayList<>(transformed.length);
            try (PreparedStatement statement = connection.prepareStatement(sql)) {
                for (float[] query : transformed) {
                    statement.setString(1, Integer.toString(hnsw.efSearchFor(k)));
                    statement.setString(2, Integer.toString(maxScanTuples(k)));
                    statement.setObject(3, new PGvector(query));
                    statement.setInt(4, k);
                    statement.execute();
                    if (!statement.getMoreResults()) {
                        throw new SQLException("the search returned no result set after its settings");
                    }
                    results.add(matches(statement.getResultSet()));
                }
            }
            return results;
        });
    }

    @Override
    public List<Match> searchById(String id, int k) {
        Objects.requireNonNull(id, "id");
        requireOpen();
        StoreChecks.requireK(k);
        Optional<Content> known = knownContent();
        if (known.isEmpty()) {
            throw noEntry(id);
        }
        Content current = known.get();
        return inTransaction("searching by id", connection -> {
            PGvector vector;
            try (PreparedStatement statement = connection.prepareStatement("SELECT embedding::vector FROM " + table
                    + " WHERE id = ?")) {
                statement.setString(1, id);
                try (ResultSet rows = statement.executeQuery()) {
                    if (!rows.next()) {
                        throw noEntry(id);
                    }
                    vector = new PGvector(rows.getString(1));
                }
            }
            configureSearch(connection, k + 1);
            try (PreparedStatement statement = connection.prepareStatement(searchSql(current.column(), true))) {
                statement.setObject(1, vector);
                statement.setString(2, id);
                statement.setInt(3, k);
                return matches(statement);
            }
        });
    }

    @Override
    public List<List<Match>> searchInSpace(float[][] vectors, int k) {
        Objects.requireNonNull(vectors, "vectors");
        requireOpen();
        StoreChecks.requireK(k);
        Optional<Content> known = knownContent();
        if (known.isEmpty() || vectors.length == 0) {
            List<List<Match>> none = new ArrayList<>(vectors.length);
            for (int q = 0; q < vectors.length; q++) {
                none.add(List.of());
            }
            return none;
        }
        Content current = known.get();
        StoreChecks.requireSpaceVectors(vectors, current.pipeline().outputDimension());
        return inTransaction("searching", connection -> {
            configureSearch(connection, k);
            List<List<Match>> results = new ArrayList<>(vectors.length);
            try (PreparedStatement statement = connection.prepareStatement(searchSql(current.column(), false))) {
                for (float[] vector : vectors) {
                    statement.setObject(1, new PGvector(vector));
                    statement.setInt(2, k);
                    results.add(matches(statement));
                }
            }
            return results;
        });
    }

    @Override
    public Map<String, float[]> spaceVectors(Collection<String> ids) {
        Objects.requireNonNull(ids, "ids");
        requireOpen();
        Map<String, float[]> found = new LinkedHashMap<>();
        if (ids.isEmpty() || knownContent().isEmpty()) {
            return found;
        }
        return inTransaction("reading vectors", connection -> {
            try (PreparedStatement statement = connection.prepareStatement("SELECT id, embedding::vector FROM "
                    + table + " WHERE id = ANY(?)")) {
                statement.setArray(1, connection.createArrayOf("text", ids.toArray()));
                try (ResultSet rows = statement.executeQuery()) {
                    while (rows.next()) {
                        found.put(rows.getString(1), new PGvector(rows.getString(2)).toArray());
                    }
                }
            }
            return found;
        });
    }

    private CnnkitException noEntry(String id) {
        return new CnnkitException(describe() + " holds no entry '" + id + "' to search with");
    }

    /** The query of one search: the distance by the metric's operator, nearest first, through the HNSW index. */
    private String searchSql(VectorColumn column, boolean excludeId) {
        String query = column.type() == VectorColumn.Type.VECTOR ? "?" : "CAST(? AS " + column.sqlType() + ")";
        return "SELECT id, embedding " + VectorColumn.distanceOperator(schema.metric()) + " " + query
                + " AS distance FROM " + table + (excludeId ? " WHERE id <> ?" : "") + " ORDER BY distance LIMIT ?";
    }

    /**
     * The statement that sets the search's candidate list ({@code hnsw.ef_search}, parameter 1) and pgvector's
     * strict-order iterative scan (at most parameter 2 tuples) for the current transaction only, like
     * {@code SET LOCAL}.
     */
    private static String searchSettingsSql() {
        return "SELECT set_config('hnsw.ef_search', ?, true), set_config('hnsw.iterative_scan', 'strict_order', "
                + "true), set_config('hnsw.max_scan_tuples', ?, true)";
    }

    private static int maxScanTuples(int k) {
        return Math.max(20_000, 4 * k);
    }

    /** Sets the search's candidate list and pgvector's strict-order iterative scan for this transaction only. */
    private void configureSearch(Connection connection, int k) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(searchSettingsSql())) {
            statement.setString(1, Integer.toString(hnsw.efSearchFor(k)));
            statement.setString(2, Integer.toString(maxScanTuples(k)));
            statement.executeQuery().close();
        }
    }

    private static List<Match> matches(PreparedStatement statement) throws SQLException {
        return matches(statement.executeQuery());
    }

    private static List<Match> matches(ResultSet result) throws SQLException {
        List<Match> matches = new ArrayList<>();
        try (ResultSet rows = result) {
            while (rows.next()) {
                matches.add(new Match(rows.getString(1), (float) rows.getDouble(2)));
            }
        }
        return List.copyOf(matches);
    }

    /** Returns false: the store keeps only the transformed vectors, so it keeps the pipeline of its first write. */
    @Override
    public boolean refit() {
        requireOpen();
        return false;
    }

    /**
     * Deletes the collection: its table (with the index) and its row in the metadata table, in one transaction,
     * waiting for other writers like a write does; then closes the store.
     *
     * @throws CnnkitException if the server fails (nothing is deleted then)
     */
    public void drop() {
        requireOpen();
        inTransaction("dropping the collection", connection -> {
            setLocal(connection, "lock_timeout", Math.max(1, Math.min(Integer.MAX_VALUE, lockTimeout.toMillis()))
                    + "ms");
            CollectionCatalog.read(connection, collection, true);
            try (Statement statement = connection.createStatement()) {
                statement.execute("DROP TABLE IF EXISTS " + table);
            }
            CollectionCatalog.delete(connection, collection);
            return null;
        });
        LOG.info("dropped {}", describe());
        close();
    }

    /** The store's connection pool (tests look at a connection a search gave back). */
    ConnectionPool pool() {
        return pool;
    }

    /** Closes the store's connections. Writes already returned are kept by the server. */
    @Override
    public void close() {
        closed = true;
        pool.close();
    }

    /** Returns the spec (its URL holds no password) and the collection. */
    @Override
    public String toString() {
        return "postgres:" + settings.maskedUrl() + " collection " + collection;
    }

    private String describe() {
        return "collection '" + collection + "' in " + settings.maskedUrl();
    }

    private static float[][] transform(SearchPipeline pipeline, float[][] vectors) {
        return pipeline.isIdentity() || vectors.length == 0 ? vectors : pipeline.apply(vectors);
    }

    /** Returns the pipeline and column, reading the metadata row while the collection has no table yet. */
    private Optional<Content> knownContent() {
        requireOpen();
        Content known = content;
        if (known != null) {
            return Optional.of(known);
        }
        CollectionRecord record = inTransaction("reading the collection's metadata", connection ->
                CollectionCatalog.read(connection, collection, false).orElseThrow(() -> new CnnkitException(
                        describe() + " no longer exists (its row in " + CollectionCatalog.TABLE + " was deleted)")));
        if (record.hasTable()) {
            known = new Content(record.pipeline().orElseThrow(), record.column().get());
            content = known;
        }
        return Optional.ofNullable(known);
    }

    private static void setLocal(Connection connection, String name, String value) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT set_config(?, ?, true)")) {
            statement.setString(1, name);
            statement.setString(2, value);
            statement.executeQuery().close();
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new CnnkitException(this + " is closed");
        }
    }

    /** Takes a pooled connection for {@code what}, or says why there is none. */
    private Connection take(String what) {
        try {
            return pool.take();
        } catch (SQLException e) {
            throw new CnnkitException("cannot connect to " + settings.maskedUrl() + " for " + what + ": "
                    + settings.scrub(e.getMessage()) + passwordHint(e), e);
        } catch (IllegalStateException e) {
            throw new CnnkitException(this + " is closed");
        }
    }

    /** Runs work in one transaction on a pooled connection: commits, or rolls back on any failure. */
    private <T> T inTransaction(String what, Work<T> work) {
        Connection connection = take(what);
        boolean healthy = true;
        try {
            T result = work.run(connection);
            connection.commit();
            return result;
        } catch (SQLException e) {
            healthy = rollback(connection);
            throw failure(what, e);
        } catch (RuntimeException | Error e) {
            healthy = rollback(connection);
            throw e;
        } finally {
            if (healthy) {
                pool.release(connection);
            } else {
                pool.discard(connection);
            }
        }
    }

    /**
     * Runs one read with auto commit on: each statement the driver sends with one {@code Sync} (a search's settings
     * and its query, written as one two-statement string) is one implicit transaction on the server, so the
     * settings apply to that query only, and the whole search is one round trip (no {@code BEGIN} or
     * {@code COMMIT} of its own).
     */
    private <T> T inAutoCommit(String what, Work<T> work) {
        Connection connection = take(what);
        boolean healthy = false;
        try {
            connection.setAutoCommit(true);
            T result = work.run(connection);
            connection.setAutoCommit(false);
            healthy = true;
            return result;
        } catch (SQLException e) {
            throw failure(what, e);
        } finally {
            if (healthy) {
                pool.release(connection);
            } else {
                pool.discard(connection);
            }
        }
    }

    private static boolean rollback(Connection connection) {
        try {
            connection.rollback();
            return true;
        } catch (SQLException e) {
            LOG.debug("rollback failed, dropping the connection: {}", e.getMessage());
            return false;
        }
    }

    private CnnkitException failure(String what, SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String message = settings.scrub(e.getMessage());
        if (state.equals("55P03")) {
            return new CnnkitException(what + ": another writer held " + describe() + " for longer than the lock "
                    + "timeout (" + lockTimeout + "); nothing of the batch was written", e);
        }
        if (state.startsWith("08")) {
            return new CnnkitException(what + " in " + describe() + " failed, the connection was lost (" + message
                    + "); nothing of an unfinished write was kept", e);
        }
        return new CnnkitException(what + " in " + describe() + " failed: " + message
                + (what.startsWith("writing") ? "; nothing of the batch was kept" : ""), e);
    }

    private String passwordHint(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (state.equals("28P01") || state.equals("28000")) {
            return settings.hasPassword() ? " (check the password in PGPASSWORD, password-env or password-file)"
                    : " (no password was given: set PGPASSWORD, or the parameter password-env=NAME or "
                    + "password-file=PATH)";
        }
        return "";
    }
}
