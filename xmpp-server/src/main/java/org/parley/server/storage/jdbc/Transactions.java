package org.parley.server.storage.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;

import javax.sql.DataSource;

import org.parley.server.storage.StorageException;

/**
 * Runs each store operation as one short transaction on a pooled connection, so that every store method
 * is atomic. A transaction that lost a race (a duplicate key from a concurrent insert, a deadlock or
 * serialisation failure, SQLite's busy database) is retried from the start, which is why work must be
 * written check-first and be safe to repeat.
 *
 * <p>On SQLite, which has one write lock for the whole database, a writing transaction ({@link #run}) takes
 * that lock at its start ({@code BEGIN IMMEDIATE}, waiting up to the busy timeout), so writers queue instead
 * of failing when one of them upgrades a read to a write, and a {@code SELECT} in it sees what the next
 * write will change. Transactions that only read ({@link #read}) stay deferred and, in WAL mode, run beside
 * the writer. The driver itself is left in its default deferred mode: in immediate mode it would begin the
 * next transaction, holding the write lock, as soon as a pooled connection commits.
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
    /** SQLite's primary result codes SQLITE_BUSY and SQLITE_LOCKED (the driver leaves the SQL state empty). */
    private static final Set<Integer> SQLITE_RETRYABLE_CODES = Set.of(5, 6);

    private final DataSource dataSource;
    private final Dialect dialect;

    Transactions(DataSource dataSource, Dialect dialect) {
        this.dataSource = dataSource;
        this.dialect = dialect;
    }

    Dialect dialect() {
        return dialect;
    }

    /** Runs the work, which may write, and commits; the pool hands out connections with auto-commit off. */
    <T> T run(Work<T> work) {
        return transaction(work, true);
    }

    /** Runs work that only reads; on SQLite it does not wait for the writer (see the class comment). */
    <T> T read(Work<T> work) {
        return transaction(work, false);
    }

    private <T> T transaction(Work<T> work, boolean writes) {
        for (int attempt = 1; ; attempt++) {
            try (Connection connection = dataSource.getConnection()) {
                try {
                    if (writes && dialect == Dialect.SQLITE) {
                        beginImmediate(connection);
                    }
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

    /**
     * The driver began a deferred transaction when the connection last committed or rolled back; no
     * statement ran in it, so ending it loses nothing (and when SQLite already ended it, after an error,
     * there is nothing to end).
     */
    private static void beginImmediate(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            try {
                statement.execute("ROLLBACK");
            } catch (SQLException noTransaction) {
                // "cannot rollback - no transaction is active": nothing to end
            }
            statement.execute("BEGIN IMMEDIATE");
        }
    }

    private static void rollback(Connection connection, Exception failure) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            failure.addSuppressed(e);
        }
    }

    static boolean retryable(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s) {
                for (SQLException next = s; next != null; next = next.getNextException()) {
                    // SQLite's exceptions have no SQL state (and Set.of refuses to look up null).
                    String state = next.getSQLState();
                    if (state != null && RETRYABLE_STATES.contains(state)
                            || next instanceof org.sqlite.SQLiteException sqlite
                            && SQLITE_RETRYABLE_CODES.contains(sqlite.getResultCode().code & 0xff)) {
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
