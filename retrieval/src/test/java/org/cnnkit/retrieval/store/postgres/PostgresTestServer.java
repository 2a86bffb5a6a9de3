package org.cnnkit.retrieval.store.postgres;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The PostgreSQL server (with pgvector) the tests use, named by the system property {@value #PROPERTY} as a JDBC URL
 * without a password (a password comes from {@code PGPASSWORD}). Without it the tests skip with a message saying how
 * to run them, except under {@code CI=true}, where they fail: CI must really run them. Each test works in a
 * collection of its own with a random name, since other builds may share the server.
 */
final class PostgresTestServer {

    /** The system property with the server's JDBC URL. */
    static final String PROPERTY = "cnnkit.postgres.url";

    private PostgresTestServer() {
    }

    /**
     * Returns the server's JDBC URL, or skips the test (fails it under {@code CI=true}) when none is configured.
     *
     * @return the URL
     */
    static String url() {
        String url = System.getProperty(PROPERTY, "").trim();
        if (url.isEmpty() || url.startsWith("${")) {
            String message = "no PostgreSQL server for the postgres store tests: run them with -D" + PROPERTY
                    + "=jdbc:postgresql://127.0.0.1:54329/postgres?user=postgres against a server with the pgvector "
                    + "extension (see .ci/run, which starts one)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                Assertions.fail(message + " [CI=true: these tests must run in CI]");
            }
            Assumptions.abort(message);
        }
        return url;
    }

    /**
     * Returns a new collection name no other test uses.
     *
     * @param purpose a short lower-case word for the name
     * @return the name, such as {@code t_reopen_1a2b3c4d5e}
     */
    static String newCollection(String purpose) {
        return ("t_" + purpose + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12))
                .toLowerCase(Locale.ROOT);
    }

    /**
     * Opens a plain JDBC connection to the server (auto commit on).
     *
     * @return the connection
     * @throws SQLException if the server cannot be reached
     */
    static Connection connect() throws SQLException {
        String password = System.getenv(ConnectionSettings.DEFAULT_PASSWORD_VARIABLE);
        java.util.Properties properties = new java.util.Properties();
        if (password != null) {
            properties.setProperty("password", password);
        }
        return DriverManager.getConnection(url(), properties);
    }

    /**
     * Drops a collection's table and metadata row, if they exist.
     *
     * @param collection the collection
     */
    static void drop(String collection) {
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            statement.execute("DROP TABLE IF EXISTS \"" + collection + "\"");
            statement.execute("DROP FUNCTION IF EXISTS \"" + collection + "_fail\"()");
            statement.execute("DROP SEQUENCE IF EXISTS \"" + collection + "_fail\"");
            statement.execute("DO $$ BEGIN IF to_regclass('" + CollectionCatalog.TABLE + "') IS NOT NULL THEN "
                    + "DELETE FROM " + CollectionCatalog.TABLE + " WHERE name = '" + collection + "'; END IF; END $$");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot drop the test collection " + collection + ": " + e.getMessage(),
                    e);
        }
    }

    /**
     * Makes the next insert into a collection's table fail inside the database, once: a trigger raises
     * "injected failure" the first time it fires (a sequence, which a rollback does not undo, counts the firings).
     *
     * @param collection a collection whose table exists
     */
    static void failNextInsert(String collection) {
        String name = "\"" + collection + "_fail\"";
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            statement.execute("CREATE SEQUENCE " + name);
            statement.execute("CREATE FUNCTION " + name + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    + "IF nextval('" + name + "') = 1 THEN RAISE EXCEPTION 'injected failure'; END IF; "
                    + "RETURN NEW; END $$");
            statement.execute("CREATE TRIGGER " + name + " BEFORE INSERT OR UPDATE ON \"" + collection
                    + "\" FOR EACH ROW EXECUTE FUNCTION " + name + "()");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot add the failing trigger to " + collection + ": "
                    + e.getMessage(), e);
        }
    }
}
