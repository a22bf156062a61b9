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
}
