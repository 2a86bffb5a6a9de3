package org.cnnkit.retrieval.spark;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Properties;
import java.util.UUID;
import org.cnnkit.retrieval.store.StoreSpec;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The PostgreSQL server of the Spark job's store tests, named by {@code -Dcnnkit.postgres.url} as the store tests
 * do: without it the tests skip with a message, except under {@code CI=true}, where they fail.
 */
final class PostgresForSpark {

    private PostgresForSpark() {
    }

    /** {@return the server as a store spec, or skips (fails under CI=true) without one} */
    static StoreSpec store() {
        String url = System.getProperty("cnnkit.postgres.url", "").trim();
        if (url.isEmpty() || url.startsWith("${")) {
            String message = "no PostgreSQL server for the Spark job's store tests: run them with "
                    + "-Dcnnkit.postgres.url=jdbc:postgresql://127.0.0.1:54329/postgres?user=postgres against a "
                    + "server with the pgvector extension (see .ci/run, which starts one)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                Assertions.fail(message + " [CI=true: these tests must run in CI]");
            }
            Assumptions.abort(message);
        }
        return StoreSpec.parse("postgres:" + url);
    }

    /** {@return a collection name no other test uses} */
    static String newCollection() {
        return ("t_spark_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12)).toLowerCase(Locale.ROOT);
    }

    /**
     * Counts a collection's rows and its distinct ids, straight from its table.
     *
     * @param collection the collection
     * @return {rows, distinct ids}
     */
    static long[] rowsAndIds(String collection) throws SQLException {
        Properties properties = new Properties();
        String password = System.getenv("PGPASSWORD");
        if (password != null) {
            properties.setProperty("password", password);
        }
        try (Connection connection = DriverManager.getConnection(store().location(), properties);
             Statement statement = connection.createStatement();
             var result = statement.executeQuery("SELECT count(*), count(DISTINCT id) FROM \"" + collection + "\"")) {
            result.next();
            return new long[] {result.getLong(1), result.getLong(2)};
        }
    }

    /** Drops a collection's table and catalogue row. */
    static void drop(String collection) {
        Properties properties = new Properties();
        String password = System.getenv("PGPASSWORD");
        if (password != null) {
            properties.setProperty("password", password);
        }
        try (Connection connection = DriverManager.getConnection(store().location(), properties);
             Statement statement = connection.createStatement()) {
            statement.execute("DROP TABLE IF EXISTS \"" + collection + "\"");
            statement.execute("DO $$ BEGIN IF to_regclass('cnnkit_collections') IS NOT NULL THEN "
                    + "DELETE FROM cnnkit_collections WHERE name = '" + collection + "'; END IF; END $$");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot drop " + collection + ": " + e.getMessage(), e);
        }
    }
}
