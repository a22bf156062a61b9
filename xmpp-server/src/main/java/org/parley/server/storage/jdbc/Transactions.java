package org.parley.server.storage.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Set;

import javax.sql.DataSource;

import org.parley.server.storage.StorageException;

/**
 * Runs each store operation as one short transaction on a pooled connection, so that every store method
 * is atomic. A transaction that lost a race (a duplicate key from a concurrent insert, a deadlock or
 * serialisation failure) is retried from the start, which is why work must be written check-first and
 * be safe to repeat.
 */
final class Transactions {

    /** Work done inside one transaction; it may roll back itself to discard its changes. */
    @FunctionalInterface
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    private static final int ATTEMPTS = 3;

    /** Unique violation (both), deadlock (H2; serialisation failure on PostgreSQL), deadlock (PostgreSQL). */
    private static final Set<String> RETRYABLE_STATES = Set.of("23505", "40001", "40P01");

    private final DataSource dataSource;

    Transactions(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Runs the work and commits; the pool hands out connections with auto-commit off. */
    <T> T run(Work<T> work) {
        for (int attempt = 1; ; attempt++) {
            try (Connection connection = dataSource.getConnection()) {
                try {
                    T result = work.run(connection);
                    connection.commit();
                    return result;
                } catch (SQLException | RuntimeException e) {
                    rollback(connection, e);
                    throw e;
                }
            } catch (SQLException e) {
                if (attempt == ATTEMPTS || !retryable(e)) {
                    throw new StorageException("database error: " + describe(e), e);
                }
            }
        }
    }

    private static void rollback(Connection connection, Exception failure) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            failure.addSuppressed(e);
        }
    }

    private static boolean retryable(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s) {
                for (SQLException next = s; next != null; next = next.getNextException()) {
                    if (RETRYABLE_STATES.contains(next.getSQLState())) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /**
     * One line describing a failure: the message of the innermost SQLException (the database's own words),
     * or else of the root cause, with line breaks folded.
     */
    /** H2's "Database may be already in use" (org.h2.api.ErrorCode.DATABASE_ALREADY_OPEN_1). */
    private static final int H2_DATABASE_IN_USE = 90020;

    static String describe(Throwable failure) {
        Throwable chosen = failure;
        for (Throwable t = failure; t != null && t != t.getCause(); t = t.getCause()) {
            if (t instanceof SQLException || !(chosen instanceof SQLException)) {
                chosen = t;
            }
        }
        if (chosen instanceof SQLException sql && sql.getErrorCode() == H2_DATABASE_IN_USE) {
            return "the embedded database is in use by another process (is Parley already running? "
                    + "stop it first; the embedded database allows one process at a time)";
        }
        String message = chosen.getMessage() != null ? chosen.getMessage() : chosen.getClass().getName();
        return message.replaceAll("\\s+", " ").trim();
    }
}
