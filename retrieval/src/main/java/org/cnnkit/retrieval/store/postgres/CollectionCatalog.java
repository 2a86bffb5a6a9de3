package org.cnnkit.retrieval.store.postgres;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.retrieval.ExtractorIdentity;
import org.cnnkit.retrieval.Metric;
import org.cnnkit.retrieval.SearchPipeline;
import org.cnnkit.retrieval.VectorTransform;
import org.cnnkit.retrieval.store.StoreSchema;

/**
 * The metadata table {@value #TABLE}, one row per collection: format version, the schema (dimension, metric,
 * transforms, extractor identity, properties), the HNSW build parameters, the fitted search pipeline's bytes and the
 * vector column of the collection's table. A writer locks its collection's row ({@code SELECT ... FOR UPDATE}) for
 * the length of its transaction; that row lock is what serialises writers across processes.
 *
 * <p>All methods run inside the caller's transaction.
 */
final class CollectionCatalog {

    /** The metadata table. */
    static final String TABLE = "cnnkit_collections";

    /** The format of the metadata row and the collection table this version writes and reads. */
    static final int FORMAT_VERSION = 1;

    /** The advisory lock key under which the extension and the metadata table are created ("cnnkit" in ASCII). */
    private static final long CREATE_LOCK_KEY = 0x636e6e6b6974L;

    private static final String COLUMNS = "name, format_version, dimension, metric, transforms, extractor_model, "
            + "extractor_weights, extractor_input, extractor_preprocessing, property_keys, property_values, hnsw_m, "
            + "hnsw_ef_construction, pipeline, vector_type, vector_dimension";

    private CollectionCatalog() {
    }

    /**
     * Makes sure the pgvector extension and the metadata table exist, creating what is missing under a
     * transaction-level advisory lock (so that two processes creating their first collection at once do not race).
     *
     * @param connection a connection in a transaction
     * @param where the server, for messages
     * @throws SQLException if the server fails
     * @throws CnnkitException if pgvector is not installed on the server or the user may not create the extension
     */
    static void prepare(Connection connection, String where) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("SELECT pg_advisory_xact_lock(" + CREATE_LOCK_KEY + ")");
            boolean hasVector;
            try (ResultSet rows = statement.executeQuery("SELECT 1 FROM pg_extension WHERE extname = 'vector'")) {
                hasVector = rows.next();
            }
            if (!hasVector) {
                createExtension(connection, where);
            }
            statement.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " ("
                    + "name text PRIMARY KEY, "
                    + "format_version integer NOT NULL, "
                    + "dimension integer NOT NULL, "
                    + "metric text NOT NULL, "
                    + "transforms text NOT NULL, "
                    + "extractor_model text, "
                    + "extractor_weights text, "
                    + "extractor_input integer[], "
                    + "extractor_preprocessing text, "
                    + "property_keys text[] NOT NULL, "
                    + "property_values text[] NOT NULL, "
                    + "hnsw_m integer NOT NULL, "
                    + "hnsw_ef_construction integer NOT NULL, "
                    + "pipeline bytea, "
                    + "vector_type text, "
                    + "vector_dimension integer, "
                    + "created timestamptz NOT NULL DEFAULT now(), "
                    + "updated timestamptz NOT NULL DEFAULT now())");
        }
    }

    private static void createExtension(Connection connection, String where) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("SAVEPOINT cnnkit_extension");
            statement.execute("CREATE EXTENSION IF NOT EXISTS vector");
            statement.execute("RELEASE SAVEPOINT cnnkit_extension");
        } catch (SQLException e) {
            String state = e.getSQLState() == null ? "" : e.getSQLState();
            if (state.equals("42501") || state.equals("58P01") || state.equals("0A000") || state.equals("22023")) {
                throw new CnnkitException("the database " + where + " has no pgvector extension and it cannot be "
                        + "created here (" + e.getMessage() + "): install pgvector on the server (a distribution "
                        + "package, or the pgvector/pgvector container image) and run CREATE EXTENSION vector as a "
                        + "superuser in that database", e);
            }
            throw e;
        }
    }

    /**
     * Returns whether the metadata table exists.
     *
     * @param connection a connection
     * @return true if it does
     * @throws SQLException if the server fails
     */
    static boolean exists(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            statement.setString(1, TABLE);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getBoolean(1);
            }
        }
    }

    /**
     * Returns whether a table (or view) of a name exists, in the connection's search path.
     *
     * @param connection a connection
     * @param name the unquoted, lower-case name
     * @return true if it does
     * @throws SQLException if the server fails
     */
    static boolean relationExists(Connection connection, String name) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            statement.setString(1, '"' + name + '"');
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getBoolean(1);
            }
        }
    }

    /**
     * Reads a collection's row.
     *
     * @param connection a connection in a transaction
     * @param name the collection
     * @param lock whether to lock the row until the transaction ends (a writer); waits for another writer's lock
     *     up to the transaction's {@code lock_timeout}
     * @return the row, or empty if there is no such collection (or no metadata table)
     * @throws SQLException if the server fails
     * @throws CnnkitException if the row is of a newer format or damaged
     */
    static Optional<CollectionRecord> read(Connection connection, String name, boolean lock) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT " + COLUMNS + " FROM " + TABLE
                + " WHERE name = ?" + (lock ? " FOR UPDATE" : ""))) {
            statement.setString(1, name);
            try (ResultSet rows = statement.executeQuery()) {
                if (!rows.next()) {
                    return Optional.empty();
                }
                return Optional.of(record(rows));
            }
        }
    }

    private static CollectionRecord record(ResultSet rows) throws SQLException {
        String name = rows.getString("name");
        int format = rows.getInt("format_version");
        if (format > FORMAT_VERSION) {
            throw new CnnkitException("collection '" + name + "' has format " + format + ", written by a newer "
                    + "cnnkit; this version reads format " + FORMAT_VERSION + " and older");
        }
        int dimension = rows.getInt("dimension");
        Metric metric = enumValue(Metric.class, rows.getString("metric"), name);
        List<VectorTransform> transforms = parseTransforms(rows.getString("transforms"), name);
        Optional<ExtractorIdentity> identity = Optional.empty();
        String model = rows.getString("extractor_model");
        if (model != null) {
            Integer[] input = (Integer[]) rows.getArray("extractor_input").getArray();
            identity = Optional.of(new ExtractorIdentity(model, rows.getString("extractor_weights"),
                    new InputShape(input[0], input[1], input[2]),
                    enumValue(Preprocessing.class, rows.getString("extractor_preprocessing"), name), dimension));
        }
        String[] keys = (String[]) rows.getArray("property_keys").getArray();
        String[] values = (String[]) rows.getArray("property_values").getArray();
        Map<String, String> properties = new TreeMap<>();
        for (int i = 0; i < keys.length; i++) {
            properties.put(keys[i], values[i]);
        }
        StoreSchema schema = new StoreSchema(dimension, metric, transforms, identity, properties);
        HnswSettings hnsw = new HnswSettings(rows.getInt("hnsw_m"), rows.getInt("hnsw_ef_construction"),
                HnswSettings.DEFAULT_EF_SEARCH);
        byte[] pipelineBytes = rows.getBytes("pipeline");
        Optional<SearchPipeline> pipeline = pipelineBytes == null ? Optional.empty()
                : Optional.of(SearchPipeline.fromBytes(pipelineBytes, dimension));
        String vectorType = rows.getString("vector_type");
        Optional<VectorColumn> column = vectorType == null ? Optional.empty()
                : Optional.of(VectorColumn.of(vectorType, rows.getInt("vector_dimension")));
        return new CollectionRecord(name, format, schema, hnsw, pipeline, column);
    }

    /**
     * Adds a collection's row (without pipeline and table yet).
     *
     * @param connection a connection in a transaction, after {@link #prepare}
     * @param name the collection
     * @param schema its schema
     * @param hnsw its index parameters
     * @throws SQLException if the server fails (for example the row exists)
     */
    static void insert(Connection connection, String name, StoreSchema schema, HnswSettings hnsw)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("INSERT INTO " + TABLE + " (name, "
                + "format_version, dimension, metric, transforms, extractor_model, extractor_weights, extractor_input, "
                + "extractor_preprocessing, property_keys, property_values, hnsw_m, hnsw_ef_construction) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            statement.setString(1, name);
            statement.setInt(2, FORMAT_VERSION);
            statement.setInt(3, schema.dimension());
            statement.setString(4, schema.metric().name());
            statement.setString(5, formatTransforms(schema.transforms()));
            Optional<ExtractorIdentity> identity = schema.identity();
            statement.setString(6, identity.map(ExtractorIdentity::model).orElse(null));
            statement.setString(7, identity.map(ExtractorIdentity::weightsChecksum).orElse(null));
            Array input = identity.isEmpty() ? null : connection.createArrayOf("integer", new Integer[] {
                    identity.get().inputShape().height(), identity.get().inputShape().width(),
                    identity.get().inputShape().channels()});
            statement.setArray(8, input);
            statement.setString(9, identity.map(i -> i.preprocessing().name()).orElse(null));
            statement.setArray(10, connection.createArrayOf("text",
                    schema.properties().keySet().toArray(new String[0])));
            statement.setArray(11, connection.createArrayOf("text",
                    schema.properties().values().toArray(new String[0])));
            statement.setInt(12, hnsw.m());
            statement.setInt(13, hnsw.efConstruction());
            statement.executeUpdate();
        }
    }

    /**
     * Records the fitted pipeline and the column of the collection's table, made by its first write with vectors.
     *
     * @param connection the writer's connection, holding the row's lock
     * @param name the collection
     * @param pipeline the fitted pipeline
     * @param column the column
     * @throws SQLException if the server fails
     */
    static void setContent(Connection connection, String name, SearchPipeline pipeline, VectorColumn column)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("UPDATE " + TABLE + " SET pipeline = ?, "
                + "vector_type = ?, vector_dimension = ?, updated = now() WHERE name = ?")) {
            statement.setBytes(1, pipeline.toBytes());
            statement.setString(2, column.type().sqlName());
            statement.setInt(3, column.dimension());
            statement.setString(4, name);
            statement.executeUpdate();
        }
    }

    /**
     * Records the time of a write.
     *
     * @param connection the writer's connection, holding the row's lock
     * @param name the collection
     * @throws SQLException if the server fails
     */
    static void touch(Connection connection, String name) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("UPDATE " + TABLE
                + " SET updated = now() WHERE name = ?")) {
            statement.setString(1, name);
            statement.executeUpdate();
        }
    }

    /**
     * Deletes a collection's row.
     *
     * @param connection a connection in a transaction
     * @param name the collection
     * @throws SQLException if the server fails
     */
    static void delete(Connection connection, String name) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("DELETE FROM " + TABLE + " WHERE name = ?")) {
            statement.setString(1, name);
            statement.executeUpdate();
        }
    }

    /**
     * Writes transforms as text, one {@code KIND:dimensions:fraction} per step, separated by commas.
     *
     * @param transforms the steps
     * @return the text, empty for none
     */
    static String formatTransforms(List<VectorTransform> transforms) {
        List<String> parts = new ArrayList<>();
        for (VectorTransform step : transforms) {
            parts.add(step.kind().name() + ":" + step.dimensions() + ":" + step.varianceFraction());
        }
        return String.join(",", parts);
    }

    /**
     * Reads the text of {@link #formatTransforms(List)}.
     *
     * @param text the text
     * @param collection names the collection in the message
     * @return the steps
     * @throws CnnkitException if the text is damaged
     */
    static List<VectorTransform> parseTransforms(String text, String collection) {
        List<VectorTransform> steps = new ArrayList<>();
        if (text.isEmpty()) {
            return steps;
        }
        for (String part : text.split(",")) {
            String[] fields = part.split(":");
            try {
                steps.add(new VectorTransform(VectorTransform.Kind.valueOf(fields[0]), Integer.parseInt(fields[1]),
                        Double.parseDouble(fields[2])));
            } catch (RuntimeException e) {
                throw new CnnkitException("collection '" + collection + "' has a damaged transform '" + part
                        + "' in " + TABLE, e);
            }
        }
        return steps;
    }

    private static <E extends Enum<E>> E enumValue(Class<E> type, String name, String collection) {
        try {
            return Enum.valueOf(type, name);
        } catch (RuntimeException e) {
            throw new CnnkitException("collection '" + collection + "' has an unknown " + type.getSimpleName()
                    + " '" + name + "' in " + TABLE, e);
        }
    }
}
