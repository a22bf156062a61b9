package org.parley.server.storage.jdbc;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.Set;

import org.parley.server.storage.StorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

/**
 * The embedded database: one SQLite file, {@code <data>/db/parley.db}, in WAL mode.
 *
 * <p>Why SQLite (issue 23, figures in {@code benchmarks/archive/README.md}): it updates pages in place, so the
 * file holds the live data plus the pages freed by deletes (reused by later inserts), whatever the rate and
 * size of the commits and however fast the machine is. H2's MVStore, the embedded database before, appends
 * every commit to its file and reuses the space only after a retention time, so the file grew with the
 * number of commits per 45 s rather than with the data.
 *
 * <p>Durability: WAL with {@code synchronous=NORMAL}. A commit is in the write-ahead log, written to the
 * operating system, before it returns, so it survives a killed process ({@code kill -9}), as every
 * acknowledged message must; the log is synced to disk at checkpoints, not at every commit, so a power loss
 * or an operating system crash may lose the last commits (never the file's consistency). That is the same
 * promise the embedded H2 made ({@code WRITE_DELAY=0}, no sync per commit), at a few microseconds per commit;
 * {@code FULL} would sync the log at every commit.
 *
 * <p>SQLite itself lets several processes open the file; the server keeps the rule that the data directory
 * belongs to one process at a time (two servers would answer for the same accounts) with an exclusive lock
 * on {@code parley.lock}, held until {@link #close()}. The database files are created readable by their owner
 * only (0600, in a 0700 directory) where the file system has POSIX permissions.
 */
final class EmbeddedDatabase implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDatabase.class);

    static final String FILE_NAME = "parley.db";
    /** How long a writer waits for the write lock (as H2's LOCK_TIMEOUT did) before the transaction fails. */
    private static final int BUSY_TIMEOUT_MILLIS = 10_000;
    /** The WAL file is cut back to this after a checkpoint, so a burst does not leave a large log behind. */
    private static final int JOURNAL_SIZE_LIMIT = 16 * 1024 * 1024;

    private static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_ONLY_DIRECTORY = PosixFilePermissions.fromString("rwx------");

    private final Path file;
    private final FileChannel lockChannel;
    private final FileLock lock;

    private EmbeddedDatabase(Path file, FileChannel lockChannel, FileLock lock) {
        this.file = file;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * Locks the data directory's database for this process, migrates an H2 database left by an earlier
     * version ({@link LegacyH2Migration}), and creates the file when it is new (incremental auto-vacuum can only
     * be chosen before the first table).
     */
    static EmbeddedDatabase open(Path dataDirectory) {
        Path directory = dataDirectory.resolve("db").toAbsolutePath();
        Path file = directory.resolve(FILE_NAME);
        String shown = "jdbc:sqlite:" + file;
        FileChannel channel = null;
        try {
            if (!Files.isDirectory(directory)) {
                Files.createDirectories(directory);
                restrict(directory, OWNER_ONLY_DIRECTORY);
            }
            channel = FileChannel.open(directory.resolve("parley.lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
            restrict(directory.resolve("parley.lock"), OWNER_ONLY_FILE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new StorageException("cannot open database " + shown + ": the embedded database is in use by "
                        + "another process (is Parley already running? stop it first; the embedded database allows "
                        + "one process at a time)", null);
            }
            EmbeddedDatabase database = new EmbeddedDatabase(file, channel, lock);
            try {
                SqliteNativeLibrary.useCopyIn(directory); // before the driver's first connection (issue 18)
                LegacyH2Migration.migrateIfPresent(directory);
                database.create();
            } catch (RuntimeException e) {
                database.unlock();
                throw e;
            }
            return database;
        } catch (IOException e) {
            closeQuietly(channel);
            throw new StorageException("cannot open database " + shown + ": " + Transactions.describe(e), e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    String url() {
        return url(file);
    }

    static String url(Path file) {
        return "jdbc:sqlite:" + file.toAbsolutePath();
    }

    /** The driver settings of every connection (the driver applies them as pragmas when it connects). */
    static Properties connectionProperties() {
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
        config.enforceForeignKeys(true); // the schema's ON DELETE CASCADE
        config.setBusyTimeout(BUSY_TIMEOUT_MILLIS);
        config.setJournalSizeLimit(JOURNAL_SIZE_LIMIT);
        // No store reads generated keys; with them on the driver matches every INSERT's text against a pattern
        // and asks for the last row id after it, on the archive writer's path (issue 18).
        config.setGetGeneratedKeys(false);
        return config.toProperties();
    }

    /** Creates the file on first use: owner-only, incremental auto-vacuum, WAL. */
    private void create() {
        if (Files.exists(file)) {
            return;
        }
        try {
            Files.createFile(file);
            restrict(file, OWNER_ONLY_FILE); // SQLite gives the -wal and -shm files the same permissions
        } catch (FileAlreadyExistsException e) {
            return;
        } catch (IOException e) {
            throw new StorageException("cannot open database " + url() + ": " + Transactions.describe(e), e);
        }
        initialise(file);
    }

    /** Makes an empty file a database with the settings that only an empty database can take. */
    static void initialise(Path file) {
        try (Connection c = DriverManager.getConnection(url(file), connectionProperties());
             Statement s = c.createStatement()) {
            s.execute("PRAGMA auto_vacuum = INCREMENTAL");
            s.execute("VACUUM"); // writes the header, so the setting holds before any table exists
        } catch (SQLException e) {
            throw new StorageException("cannot create database " + url(file) + ": " + Transactions.describe(e), e);
        }
    }

    /**
     * Leaves the file compact after a clean stop, once the pool is closed: returns the pages that deletes
     * freed to the file system, and writes the whole log into the database and empties it.
     */
    @Override
    public void close() {
        try (Connection c = DriverManager.getConnection(url(), connectionProperties());
             Statement s = c.createStatement()) {
            // executeUpdate steps the statement to its end; execute would free a single page.
            s.executeUpdate("PRAGMA incremental_vacuum");
            s.execute("PRAGMA optimize");
            try (ResultSet rs = s.executeQuery("PRAGMA wal_checkpoint(TRUNCATE)")) {
                if (rs.next() && rs.getInt(1) != 0) {
                    LOG.warn("embedded database: the log could not be emptied at stop (a reader was still open)");
                }
            }
        } catch (SQLException e) {
            LOG.warn("embedded database: compaction at stop failed: {}", Transactions.describe(e));
        } finally {
            unlock();
        }
    }

    private void unlock() {
        try {
            lock.release();
        } catch (IOException e) {
            LOG.debug("releasing the database lock: {}", e.toString());
        }
        closeQuietly(lockChannel);
    }

    private static void restrict(Path path, Set<PosixFilePermission> permissions) throws IOException {
        try {
            Files.setPosixFilePermissions(path, permissions);
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: its own access rules apply
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                LOG.debug("closing the database lock file: {}", e.toString());
            }
        }
    }
}
