package org.parley.server.storage.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.server.config.ServerSettings.StorageSettings;
import org.parley.server.storage.Storage;
import org.parley.server.storage.StorageException;

/** The storage contract on the embedded SQLite database (the default), plus what is specific to it. */
class JdbcStorageSqliteTest extends JdbcStorageContractTest {

    static final StorageSettings EMBEDDED = new StorageSettings(null, null, null, 4);

    @TempDir
    Path dataDirectory;

    @Override
    protected Storage openStorage() {
        return JdbcStorage.open(EMBEDDED, dataDirectory);
    }

    @Override
    protected StorageSettings otherDatabase() {
        return null;
    }

    private Path databaseFile() {
        return dataDirectory.resolve("db").resolve("parley.db");
    }

    @Test
    void embeddedDatabaseLivesInTheDataDirectoryReadableByItsOwnerOnly() throws IOException {
        assertTrue(Files.isRegularFile(databaseFile()));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(databaseFile())));
        assertEquals("rwx------", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(databaseFile().getParent())));
    }

    /** WAL (readers beside the writer, kill -9 safe commits) and incremental auto-vacuum (a file that shrinks). */
    @Test
    void fileIsInWalModeWithIncrementalAutoVacuum() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + databaseFile());
             Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("PRAGMA journal_mode")) {
                assertTrue(rs.next());
                assertEquals("wal", rs.getString(1));
            }
            try (ResultSet rs = s.executeQuery("PRAGMA auto_vacuum")) {
                assertTrue(rs.next());
                assertEquals(2, rs.getInt(1), "2 = incremental");
            }
        }
    }

    /** The data directory belongs to one process at a time, as it did with H2; close gives it back. */
    @Test
    void secondOpenFailsWithOneLineMessageAndCloseReleasesTheDirectory() throws IOException {
        StorageException e = assertThrows(StorageException.class, () -> JdbcStorage.open(EMBEDDED, dataDirectory));
        assertTrue(e.getMessage().contains("the embedded database is in use by another process"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());

        Path lockFile = databaseFile().resolveSibling("parley.lock");
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
            assertThrows(OverlappingFileLockException.class, channel::tryLock, "the server holds the lock while open");
            storage.close();
            FileLock lock = channel.tryLock();
            assertNotNull(lock, "the lock is still held after close");
            lock.release();
        }
        storage = openStorage();
        assertTrue(storage.accounts().create("alice", Map.of()));
    }

    @Test
    void schemaThatCannotBeMigratedFailsWithOneLineMessage() throws Exception {
        Path other = dataDirectory.resolve("foreign");
        Path file = Files.createDirectories(other.resolve("db")).resolve("parley.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
             Statement s = c.createStatement()) {
            s.execute("CREATE TABLE accounts (id INT)");
        }
        StorageException e = assertThrows(StorageException.class, () -> JdbcStorage.open(EMBEDDED, other));
        assertTrue(e.getMessage().startsWith("cannot migrate database jdbc:sqlite:" + file.toAbsolutePath() + ": "),
                e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    /**
     * The archive writer's own connection: one whose set-up fails halfway is closed and the next batch opens a
     * new one (it used to be kept with no statement, and every later batch failed); stop closes it.
     */
    @Test
    void theArchiveWritersConnectionIsReopenedAfterAFailedSetUpAndClosedOnStop() throws Exception {
        String url = "jdbc:sqlite:" + databaseFile();
        java.util.List<Connection> opened = new java.util.ArrayList<>();
        org.sqlite.SQLiteDataSource pool = new org.sqlite.SQLiteDataSource() {
            @Override
            public Connection getConnection() throws java.sql.SQLException {
                Connection c = super.getConnection();
                c.setAutoCommit(false); // as the server's pool hands them out (JdbcStorage)
                return c;
            }
        };
        pool.setUrl(url);
        JdbcArchiveStore store = new JdbcArchiveStore(new Transactions(pool, Dialect.SQLITE), () -> {
            Connection real = DriverManager.getConnection(url);
            opened.add(real);
            if (opened.size() > 1) {
                return real;
            }
            return (Connection) java.lang.reflect.Proxy.newProxyInstance(Connection.class.getClassLoader(),
                    new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                        if (method.getName().equals("createStatement")) {
                            throw new java.sql.SQLException("refused by the test");
                        }
                        try {
                            return method.invoke(real, args);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        });
        java.util.List<org.parley.server.storage.ArchiveStore.Appended> batch = java.util.List.of(
                new org.parley.server.storage.ArchiveStore.Appended("romeo@localhost",
                        new org.parley.server.storage.ArchiveStore.Entry("a1", "juliet@localhost/x",
                                java.time.Instant.now(), "<message/>")));
        StorageException failed = assertThrows(StorageException.class, () -> store.appendAll(batch));
        assertTrue(failed.getMessage().contains("refused by the test"), failed.getMessage());
        assertTrue(opened.get(0).isClosed(), "the half-set-up connection is closed");

        store.appendAll(batch);
        assertEquals(2, opened.size(), "a new connection for the next batch");
        assertTrue(store.entry("romeo@localhost", "a1").isPresent(), "and the batch is stored");
        store.close();
        assertTrue(opened.get(1).isClosed(), "stop closes the writer's connection");
    }

    /** SQLite's busy and locked errors, which carry no SQL state, are tried again; other failures are not. */
    @Test
    void sqliteBusyIsRetryableAndAStatelessFailureIsNot() {
        assertTrue(Transactions.retryable(new org.sqlite.SQLiteException("busy", org.sqlite.SQLiteErrorCode.SQLITE_BUSY)));
        assertTrue(Transactions.retryable(new org.sqlite.SQLiteException("locked", org.sqlite.SQLiteErrorCode.SQLITE_LOCKED)));
        assertFalse(Transactions.retryable(new org.sqlite.SQLiteException("full", org.sqlite.SQLiteErrorCode.SQLITE_FULL)));
        assertFalse(Transactions.retryable(new java.sql.SQLException("no state")));
    }
}
