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
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.server.config.ServerSettings.StorageSettings;
import org.parley.server.storage.ArchiveStore;
import org.parley.server.storage.Storage;
import org.parley.server.storage.StorageException;

/**
 * The storage contract on an H2 file database, the embedded database of earlier versions and still an option
 * ({@code storage.jdbc-url = "jdbc:h2:file:..."}), opened with the settings the embedded one had.
 */
class JdbcStorageH2Test extends JdbcStorageContractTest {

    @TempDir
    Path dataDirectory;

    /** The H2 database in {@code <directory>/db/parley}, as the embedded H2 of earlier versions was. */
    static StorageSettings h2(Path directory) {
        return new StorageSettings("jdbc:h2:file:" + directory.resolve("db").resolve("parley").toAbsolutePath()
                + ";DB_CLOSE_ON_EXIT=FALSE;LOCK_TIMEOUT=10000;WRITE_DELAY=0", null, null, 4);
    }

    @Override
    protected Storage openStorage() {
        return JdbcStorage.open(h2(dataDirectory), dataDirectory);
    }

    @Override
    protected StorageSettings otherDatabase() {
        return new StorageSettings("jdbc:h2:file:" + dataDirectory.resolve("other").resolve("parley").toAbsolutePath()
                + ";DB_CLOSE_ON_EXIT=FALSE", "sa", "", 2);
    }

    private Path databaseFile() {
        return dataDirectory.resolve("db").resolve("parley.mv.db");
    }

    /** Holding the file lock would make a restart in the same JVM (or another process) fail. */
    @Test
    void closeReleasesTheDatabaseFile() throws IOException {
        try (FileChannel channel = FileChannel.open(databaseFile(), StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            assertThrows(OverlappingFileLockException.class, channel::tryLock, "H2 holds the file while open");
            storage.close();
            FileLock lock = channel.tryLock();
            assertNotNull(lock, "the file is still locked after close");
            lock.release();
        }
        storage = openStorage();
        assertTrue(storage.accounts().create("alice", java.util.Map.of()));
    }

    @Test
    void unreachableDatabaseFailsWithOneLineMessage() {
        StorageException e = assertThrows(StorageException.class, () -> JdbcStorage.open(
                new StorageSettings("jdbc:nosuchdriver://db/parley?password=secret", "u", "secret", 2),
                dataDirectory));
        assertTrue(e.getMessage().startsWith("cannot open database jdbc:nosuchdriver://db/parley?password=***: "),
                e.getMessage());
        assertFalse(e.getMessage().contains("secret"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void schemaThatCannotBeMigratedFailsWithOneLineMessage() throws Exception {
        Path other = dataDirectory.resolve("foreign");
        String url = "jdbc:h2:file:" + other.resolve("db").resolve("parley").toAbsolutePath();
        try (Connection c = DriverManager.getConnection(url, "sa", "");
             Statement s = c.createStatement()) {
            s.execute("CREATE TABLE accounts (id INT)");
        }
        StorageException e = assertThrows(StorageException.class, () -> JdbcStorage.open(h2(other), other));
        assertTrue(e.getMessage().startsWith("cannot migrate database " + url + ";"), e.getMessage());
        assertTrue(Files.isRegularFile(databaseFile()));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    /** V6 derives the bare conversation partner of messages archived before it. */
    @Test
    void archiveFromBeforeTheConversationIndexIsFoundByBareJid() throws Exception {
        Path old = dataDirectory.resolve("v5");
        String url = "jdbc:h2:file:" + old.resolve("db").resolve("parley").toAbsolutePath();
        org.flywaydb.core.Flyway.configure().dataSource(url, "sa", "").locations("classpath:db/migration")
                .target("5").load().migrate();
        try (Connection c = DriverManager.getConnection(url, "sa", "");
             Statement s = c.createStatement()) {
            s.execute("INSERT INTO archive_messages (archive, id, with_jid, sent_at, stanza) VALUES "
                    + "('room@conference.example.org', 'a', 'room@conference.example.org/nick/x', CURRENT_TIMESTAMP, '<m/>'), "
                    + "('alice@example.org', 'b', 'bob@example.org', CURRENT_TIMESTAMP, '<m/>')");
        }
        try (Storage migrated = JdbcStorage.open(h2(old), old)) {
            ArchiveStore.Paging all = new ArchiveStore.Paging(null, null, false, 10);
            assertEquals(1, migrated.archive().page(new ArchiveStore.Filter("room@conference.example.org",
                    "room@conference.example.org", null, null), all).count());
            assertEquals(1, migrated.archive().page(new ArchiveStore.Filter("alice@example.org",
                    "bob@example.org", null, null), all).count());
        }
    }

    @Test
    void redactHidesPasswords() {
        assertEquals("jdbc:postgresql://h/db?user=parley&password=***&ssl=true",
                JdbcStorage.redact("jdbc:postgresql://h/db?user=parley&password=s3cret&ssl=true"));
        assertEquals("jdbc:h2:file:/x;PASSWORD=***", JdbcStorage.redact("jdbc:h2:file:/x;PASSWORD=abc"));
    }
}
