package org.cnnkit.retrieval.store.postgres;

import com.pgvector.PGvector;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.Deque;
import org.postgresql.Driver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small pool of physical connections to one server: a connection is taken for one operation (a write, a search
 * call, a count) and given back after it, so that a search costs no new connection. At most {@code maxIdle}
 * connections stay open between operations; when more threads work at once, more are opened and closed again after
 * use. Every new connection has pgvector's types registered (they are registered per physical connection) and auto
 * commit off. A connection that failed is closed, not reused.
 *
 * <p>Safe for many threads.
 */
final class ConnectionPool implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionPool.class);

    private final ConnectionSettings settings;
    private final int maxIdle;
    private final Driver driver = new Driver();
    // Guarded by this.
    private final Deque<Connection> idle = new ArrayDeque<>();
    // Guarded by this.
    private boolean closed;

    /**
     * Creates a pool; it connects on first use.
     *
     * @param settings the server and the password
     * @param maxIdle how many connections stay open between operations, at least 1
     */
    ConnectionPool(ConnectionSettings settings, int maxIdle) {
        this.settings = settings;
        this.maxIdle = maxIdle;
    }

    /**
     * Returns an open connection with auto commit off, idle or new.
     *
     * @return the connection; give it back with {@link #release} or {@link #discard}
     * @throws SQLException if a new connection cannot be made
     * @throws IllegalStateException if the pool is closed
     */
    Connection take() throws SQLException {
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("closed");
            }
            Connection connection = idle.pollFirst();
            if (connection != null) {
                return connection;
            }
        }
        Connection connection = driver.connect(settings.url(), settings.driverProperties());
        if (connection == null) {
            throw new SQLException("the PostgreSQL driver does not accept the URL " + settings.maskedUrl());
        }
        try {
            connection.setAutoCommit(false);
            PGvector.registerTypes(connection);
        } catch (SQLException | RuntimeException e) {
            closeQuietly(connection);
            throw e;
        }
        return connection;
    }

    /**
     * Gives back a connection whose transaction ended (committed or rolled back); it stays open for the next
     * operation unless enough are idle already.
     *
     * @param connection the connection from {@link #take()}
     */
    void release(Connection connection) {
        synchronized (this) {
            if (!closed && idle.size() < maxIdle) {
                idle.addFirst(connection);
                return;
            }
        }
        closeQuietly(connection);
    }

    /**
     * Closes a connection that failed, so that it is not used again.
     *
     * @param connection the connection from {@link #take()}
     */
    void discard(Connection connection) {
        closeQuietly(connection);
    }

    /** Closes the idle connections; connections in use are closed when they are given back. */
    @Override
    public void close() {
        Deque<Connection> toClose;
        synchronized (this) {
            closed = true;
            toClose = new ArrayDeque<>(idle);
            idle.clear();
        }
        toClose.forEach(ConnectionPool::closeQuietly);
    }

    private static void closeQuietly(Connection connection) {
        try {
            connection.close();
        } catch (SQLException e) {
            LOG.debug("closing a PostgreSQL connection failed: {}", e.getMessage());
        }
    }
}
