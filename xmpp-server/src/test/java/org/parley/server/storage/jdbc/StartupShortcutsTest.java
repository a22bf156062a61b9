package org.parley.server.storage.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.OptionalInt;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

/**
 * The two start-up shortcuts of the embedded database (issue 18, cold start): the SQLite driver's native library
 * kept in the data directory instead of extracted on every start, and Flyway skipped when the schema is already
 * at the newest migration — and the cases in which each must not apply.
 */
class StartupShortcutsTest {

    @TempDir
    Path dataDirectory;

    @Test
    void nativeLibraryIsCopiedOnceIntoTheDataDirectoryAndRewrittenWhenItDoesNotMatch() throws Exception {
        String path = System.clearProperty(SqliteNativeLibrary.PATH_PROPERTY);
        String name = System.clearProperty(SqliteNativeLibrary.NAME_PROPERTY);
        try {
            Path db = dataDirectory.resolve("db");
            Path library = SqliteNativeLibrary.useCopyIn(db);
            assertNotNull(library, "a bundled library for this platform is kept");
            assertTrue(library.startsWith(db.resolve("native")), library.toString());
            long size = Files.size(library);
            assertTrue(size > 100_000, "the whole library: " + size);
            assertEquals(library.getParent().toAbsolutePath().toString(),
                    System.getProperty(SqliteNativeLibrary.PATH_PROPERTY), "the driver is pointed at the copy");
            assertEquals(library.getFileName().toString(), System.getProperty(SqliteNativeLibrary.NAME_PROPERTY));

            // A later start reuses the copy as it is.
            FileTime old = FileTime.fromMillis(1_000_000_000L);
            Files.setLastModifiedTime(library, old);
            System.clearProperty(SqliteNativeLibrary.PATH_PROPERTY);
            assertEquals(library, SqliteNativeLibrary.useCopyIn(db));
            assertEquals(old, Files.getLastModifiedTime(library), "not written again");

            // A truncated copy (a crash while writing it, a full disk) is replaced.
            Files.write(library, new byte[] {1, 2, 3});
            System.clearProperty(SqliteNativeLibrary.PATH_PROPERTY);
            assertEquals(library, SqliteNativeLibrary.useCopyIn(db));
            assertEquals(size, Files.size(library));
            try (Stream<Path> files = Files.list(library.getParent())) {
                assertEquals(1, files.count(), "no partial file left behind");
            }

            // The operator's own setting wins.
            System.setProperty(SqliteNativeLibrary.PATH_PROPERTY, "/opt/sqlite");
            assertEquals(null, SqliteNativeLibrary.useCopyIn(dataDirectory.resolve("elsewhere")));
            assertFalse(Files.exists(dataDirectory.resolve("elsewhere")));
        } finally {
            restore(SqliteNativeLibrary.PATH_PROPERTY, path);
            restore(SqliteNativeLibrary.NAME_PROPERTY, name);
        }
    }

    @Test
    void schemaAtTheNewestMigrationIsRecognisedAndAnythingElseIsNot() throws Exception {
        OptionalInt newest = SchemaCheck.newestMigration(getClass().getClassLoader(), "db/sqlite");
        assertTrue(newest.isPresent(), "the build's SQLite migrations are plain versioned files");
        Path file = dataDirectory.resolve("plain.db");
        SQLiteDataSource dataSource = new SQLiteDataSource();
        dataSource.setUrl("jdbc:sqlite:" + file);
        ClassLoader loader = getClass().getClassLoader();

        assertFalse(SchemaCheck.upToDate(dataSource, loader, "db/sqlite"), "no history table: Flyway creates the schema");
        org.flywaydb.core.Flyway.configure(loader).dataSource(dataSource).locations("classpath:db/sqlite").load().migrate();
        assertTrue(SchemaCheck.upToDate(dataSource, loader, "db/sqlite"), "migrated by Flyway: nothing to do");

        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE flyway_schema_history SET version = '" + (newest.getAsInt() - 1)
                    + "' WHERE version = '" + newest.getAsInt() + "'");
        }
        assertFalse(SchemaCheck.upToDate(dataSource, loader, "db/sqlite"), "a migration not applied yet: Flyway runs");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE flyway_schema_history SET version = '" + newest.getAsInt() + "', success = 0"
                    + " WHERE version = '" + (newest.getAsInt() - 1) + "' AND installed_rank ="
                    + " (SELECT MAX(installed_rank) FROM flyway_schema_history)");
        }
        assertFalse(SchemaCheck.upToDate(dataSource, loader, "db/sqlite"), "a failed migration: Flyway reports it");
    }

    @Test
    void embeddedStorageOpensAgainWithoutMigratingAndStillMigratesANewDatabase() {
        JdbcStorage.open(JdbcStorageSqliteTest.EMBEDDED, dataDirectory).close();
        var storage = JdbcStorage.open(JdbcStorageSqliteTest.EMBEDDED, dataDirectory);
        try {
            java.util.Map<org.parley.server.sasl.ScramHash, org.parley.server.sasl.ScramCredential> credentials =
                    new java.util.LinkedHashMap<>();
            for (var hash : org.parley.server.sasl.ScramHash.values()) {
                credentials.put(hash, new org.parley.server.sasl.ScramCredential(hash, new byte[16], 4096,
                        new byte[hash.length()], new byte[hash.length()]));
            }
            assertTrue(storage.accounts().create("alice", credentials));
        } finally {
            storage.close();
        }
        var again = JdbcStorage.open(JdbcStorageSqliteTest.EMBEDDED, dataDirectory);
        try {
            assertTrue(again.accounts().exists("alice"));
        } finally {
            again.close();
        }
    }

    /** Flyway's history table on H2 (and PostgreSQL) has quoted lower-case names; the check reads them there too. */
    @Test
    void schemaCheckReadsFlywaysHistoryOnH2() {
        String url = "jdbc:h2:file:" + dataDirectory.resolve("h2").toAbsolutePath() + ";DB_CLOSE_DELAY=0";
        var settings = new org.parley.server.config.ServerSettings.StorageSettings(url, null, null, 2);
        JdbcStorage.open(settings, dataDirectory).close();
        org.h2.jdbcx.JdbcDataSource dataSource = new org.h2.jdbcx.JdbcDataSource();
        dataSource.setURL(url);
        dataSource.setUser("sa");
        assertTrue(SchemaCheck.upToDate(dataSource, getClass().getClassLoader(), "db/migration"));
        assertFalse(SchemaCheck.upToDate(dataSource, getClass().getClassLoader(), "db/sqlite")
                        && !SchemaCheck.newestMigration(getClass().getClassLoader(), "db/sqlite")
                        .equals(SchemaCheck.newestMigration(getClass().getClassLoader(), "db/migration")),
                "compared with the location's own newest migration");
    }

    @Test
    void migrationsInAJarAreListedAndAnUnusualFileDisablesTheShortcut() throws Exception {
        Path jar = dataDirectory.resolve("m.jar");
        writeJar(jar, "db/x/", "db/x/V1__a.sql", "db/x/V12__b.sql", "db/x/V3__c.sql", "db/y/", "db/y/V1__a.sql",
                "db/y/R__view.sql");
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            assertEquals(OptionalInt.of(12), SchemaCheck.newestMigration(loader, "db/x"));
            assertEquals(OptionalInt.empty(), SchemaCheck.newestMigration(loader, "db/y"), "a repeatable migration");
            assertEquals(OptionalInt.empty(), SchemaCheck.newestMigration(loader, "db/none"));
        }
    }

    private static void writeJar(Path jar, String... entries) throws IOException {
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out)) {
            for (String e : entries) {
                j.putNextEntry(new JarEntry(e));
                if (!e.endsWith("/")) {
                    j.write("SELECT 1;".getBytes());
                }
                j.closeEntry();
            }
        }
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }
}
