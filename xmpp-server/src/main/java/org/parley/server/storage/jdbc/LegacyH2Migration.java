package org.parley.server.storage.jdbc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.flywaydb.core.Flyway;
import org.parley.server.storage.StorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves the embedded H2 database of Parley versions before SQLite ({@code <data>/db/parley.mv.db}) into the
 * SQLite file at the first start of this version, so that nobody loses accounts, rosters or history by
 * upgrading. The H2 database is first brought to the latest schema by its own migrations, then every table
 * is copied row by row, parents before children, keys included (so archive order, stanza-ids and counters
 * stay as they were), into a new SQLite file in one transaction. Only when that committed is the new file
 * moved into place and the H2 file renamed to {@code parley.mv.db.migrated} (kept: delete it once the
 * server runs well). A failed or interrupted migration leaves the H2 file where it was and is tried again at
 * the next start.
 */
final class LegacyH2Migration {

    private static final Logger LOG = LoggerFactory.getLogger(LegacyH2Migration.class);

    static final String LEGACY_FILE = "parley.mv.db";
    static final String MIGRATED_SUFFIX = ".migrated";

    /** Every table of the schema, each after the tables its foreign keys name. */
    private static final List<String> TABLES = List.of("accounts", "account_credentials", "roster_versions",
            "roster_items", "roster_groups", "offline_messages", "documents", "muc_rooms", "muc_room_settings",
            "muc_affiliations", "pubsub_nodes", "pubsub_node_settings", "pubsub_affiliations",
            "pubsub_subscriptions", "pubsub_items", "archive_messages", "archive_counts", "blocklist_items",
            "push_registrations");

    private static final int BATCH = 1000;

    private LegacyH2Migration() {
    }

    static void migrateIfPresent(Path directory) {
        Path legacy = directory.resolve(LEGACY_FILE);
        if (!Files.isRegularFile(legacy)) {
            return;
        }
        Path file = directory.resolve(EmbeddedDatabase.FILE_NAME);
        if (Files.exists(file)) {
            LOG.warn("Storage: both {} and {} exist; using {} (the H2 file was presumably migrated already; rename "
                    + "it to {}{} to silence this)", file, legacy, file, LEGACY_FILE, MIGRATED_SUFFIX);
            return;
        }
        String h2Url = "jdbc:h2:file:" + directory.resolve("parley") + ";DB_CLOSE_ON_EXIT=FALSE";
        Path temporary = directory.resolve(EmbeddedDatabase.FILE_NAME + ".migrating");
        long started = System.nanoTime();
        LOG.info("Storage: migrating the H2 database {} of an earlier Parley version into {}", legacy, file);
        try {
            for (String suffix : List.of("", "-wal", "-shm", "-journal")) {
                Files.deleteIfExists(temporary.resolveSibling(temporary.getFileName() + suffix));
            }
            Files.createFile(temporary);
            try {
                Files.setPosixFilePermissions(temporary,
                        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system
            }
            EmbeddedDatabase.initialise(temporary);
            Flyway.configure(LegacyH2Migration.class.getClassLoader()).dataSource(EmbeddedDatabase.url(temporary),
                    null, null).locations("classpath:db/sqlite").load().migrate();
            Flyway.configure(LegacyH2Migration.class.getClassLoader()).dataSource(h2Url, "sa", "")
                    .locations("classpath:db/migration").load().migrate();
            long rows = copy(h2Url, temporary);
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
            Files.move(legacy, legacy.resolveSibling(LEGACY_FILE + MIGRATED_SUFFIX));
            LOG.info("Storage: migrated {} rows from H2 in {} ms; the H2 file is kept as {}{} (delete it once the "
                    + "server runs well)", rows, (System.nanoTime() - started) / 1_000_000, LEGACY_FILE, MIGRATED_SUFFIX);
        } catch (IOException | SQLException | RuntimeException e) {
            throw new StorageException("cannot migrate the embedded H2 database " + legacy + " to " + file + ": "
                    + Transactions.describe(e), e);
        }
    }

    /** Copies every table in one SQLite transaction; returns the number of rows. */
    private static long copy(String h2Url, Path temporary) throws SQLException {
        long total = 0;
        try (Connection h2 = DriverManager.getConnection(h2Url, "sa", "");
             Connection sqlite = DriverManager.getConnection(EmbeddedDatabase.url(temporary),
                     EmbeddedDatabase.connectionProperties())) {
            h2.setReadOnly(true);
            try (Statement s = sqlite.createStatement()) {
                s.execute("PRAGMA foreign_keys = OFF"); // H2 enforced the same keys; order alone would do
            }
            sqlite.setAutoCommit(false);
            for (String table : TABLES) {
                total += copyTable(h2, sqlite, table);
            }
            sqlite.commit();
        }
        return total;
    }

    private static long copyTable(Connection h2, Connection sqlite, String table) throws SQLException {
        List<String> columns = new ArrayList<>();
        try (Statement s = sqlite.createStatement(); ResultSet rs = s.executeQuery("SELECT * FROM " + table + " LIMIT 0")) {
            ResultSetMetaData meta = rs.getMetaData();
            for (int i = 1; i <= meta.getColumnCount(); i++) {
                columns.add(meta.getColumnName(i));
            }
        }
        String list = String.join(", ", columns);
        String insert = "INSERT INTO " + table + " (" + list + ") VALUES ("
                + String.join(", ", Collections.nCopies(columns.size(), "?")) + ")";
        long rows = 0;
        try (Statement select = h2.createStatement();
             PreparedStatement into = sqlite.prepareStatement(insert)) {
            select.setFetchSize(BATCH);
            try (ResultSet rs = select.executeQuery("SELECT " + list + " FROM " + table)) {
                while (rs.next()) {
                    for (int i = 1; i <= columns.size(); i++) {
                        into.setObject(i, value(rs.getObject(i)));
                    }
                    into.addBatch();
                    if (++rows % BATCH == 0) {
                        into.executeBatch();
                    }
                }
            }
            into.executeBatch();
        }
        long copied;
        try (Statement s = sqlite.createStatement(); ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + table)) {
            rs.next();
            copied = rs.getLong(1);
        }
        if (copied != rows) {
            throw new SQLException(table + ": " + rows + " rows read from H2, " + copied + " in SQLite");
        }
        return rows;
    }

    /** Times in SQLite's stored form ({@link Dialect#timestamp}); everything else binds as it is. */
    private static Object value(Object h2Value) {
        if (h2Value instanceof OffsetDateTime time) {
            return Dialect.SQLITE.timestamp(time.toInstant());
        }
        if (h2Value instanceof Timestamp time) {
            return Dialect.SQLITE.timestamp(time.toInstant());
        }
        return h2Value;
    }
}
