package org.parley.server.storage.jdbc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicBoolean;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;
import org.parley.server.config.ServerSettings.StorageSettings;
import org.parley.server.storage.AccountStore;
import org.parley.server.storage.ArchiveStore;
import org.parley.server.storage.BlockListStore;
import org.parley.server.storage.DocumentStore;
import org.parley.server.storage.OfflineStore;
import org.parley.server.storage.PubSubStore;
import org.parley.server.storage.PushStore;
import org.parley.server.storage.RoomStore;
import org.parley.server.storage.RosterStore;
import org.parley.server.storage.Storage;
import org.parley.server.storage.StorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Storage} on a relational database: by default an embedded H2 file in the data directory, so a
 * fresh install needs no database server, or any JDBC database the settings name (PostgreSQL). One
 * connection pool serves all stores, and Flyway creates or upgrades the schema at open, so a new server
 * version brings its own tables without a manual step.
 */
public final class JdbcStorage implements Storage {

    private static final Logger LOG = LoggerFactory.getLogger(JdbcStorage.class);

    private final HikariDataSource dataSource;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AccountStore accounts;
    private final RosterStore rosters;
    private final OfflineStore offline;
    private final DocumentStore documents;
    private final RoomStore rooms;
    private final ArchiveStore archive;
    private final PubSubStore pubsub;
    private final BlockListStore blockLists;
    private final PushStore push;
    /** The embedded database's file compaction; null on a database server, which does its own. */
    private final H2Maintenance maintenance;

    private JdbcStorage(HikariDataSource dataSource, H2Maintenance maintenance) {
        this.dataSource = dataSource;
        this.maintenance = maintenance;
        Transactions db = new Transactions(dataSource);
        this.accounts = new JdbcAccountStore(db);
        this.rosters = new JdbcRosterStore(db);
        this.offline = new JdbcOfflineStore(db);
        this.documents = new JdbcDocumentStore(db);
        this.rooms = new JdbcRoomStore(db);
        this.archive = new JdbcArchiveStore(db);
        this.pubsub = new JdbcPubSubStore(db);
        this.blockLists = new JdbcBlockListStore(db);
        this.push = new JdbcPushStore(db);
    }

    /**
     * Connects and migrates the schema.
     *
     * @param settings      {@code jdbcUrl} null selects the embedded H2 file {@code <dataDirectory>/db/parley}
     * @param dataDirectory the server's data directory
     * @throws StorageException when the database cannot be reached or migrated
     */
    public static JdbcStorage open(StorageSettings settings, Path dataDirectory) {
        return open(settings, dataDirectory, H2Maintenance.Schedule.DEFAULT);
    }

    /** {@link #open(StorageSettings, Path)} with the embedded database's maintenance schedule (tests). */
    static JdbcStorage open(StorageSettings settings, Path dataDirectory, H2Maintenance.Schedule schedule) {
        boolean embedded = settings.jdbcUrl() == null;
        String url = embedded ? embeddedUrl(dataDirectory) : settings.jdbcUrl();
        String shownUrl = redact(url);

        HikariDataSource dataSource;
        try {
            HikariConfig config = new HikariConfig();
            config.setPoolName("parley-storage");
            config.setJdbcUrl(url);
            boolean defaultUser = embedded && settings.user() == null;
            config.setUsername(defaultUser ? "sa" : settings.user());
            config.setPassword(defaultUser && settings.password() == null ? "" : settings.password());
            config.setMaximumPoolSize(Math.max(1, settings.poolSize()));
            config.setAutoCommit(false);
            dataSource = new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new StorageException("cannot open database " + shownUrl + ": " + Transactions.describe(e), e);
        }

        try {
            Flyway.configure(JdbcStorage.class.getClassLoader())
                    .dataSource(dataSource)
                    .locations("classpath:db/migration")
                    .load()
                    .migrate();
            LOG.info("Storage: {} at {}", product(dataSource), shownUrl);
        } catch (RuntimeException | SQLException e) {
            dataSource.close();
            throw new StorageException("cannot migrate database " + shownUrl + ": " + Transactions.describe(e), e);
        }
        H2Maintenance maintenance = null;
        if (embedded) {
            try {
                maintenance = H2Maintenance.start(dataSource, schedule);
            } catch (RuntimeException e) {
                dataSource.close();
                throw new StorageException("cannot open database " + shownUrl + ": " + Transactions.describe(e), e);
            }
        }
        return new JdbcStorage(dataSource, maintenance);
    }

    /**
     * The embedded database. H2's MVStore never leaves a torn file (append-only, checksummed chunks);
     * {@code WRITE_DELAY=0} writes each commit out at once instead of within H2's default half second, so an
     * acknowledged registration or offline message survives a killed process. That setting also leaves H2
     * without its background writer, which is what compacts the file, so {@link H2Maintenance} does that. The
     * file is locked to this
     * process, and stays open until {@link #close()} rather than until JVM exit hooks run, so the server
     * decides the shutdown order.
     */
    private static String embeddedUrl(Path dataDirectory) {
        Path directory = dataDirectory.resolve("db").toAbsolutePath();
        String url = "jdbc:h2:file:" + directory.resolve("parley");
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new StorageException("cannot open database " + url + ": cannot create directory " + directory
                    + ": " + Transactions.describe(e), e);
        }
        return url + ";DB_CLOSE_ON_EXIT=FALSE;LOCK_TIMEOUT=10000;WRITE_DELAY=0";
    }

    private static String product(HikariDataSource dataSource) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            DatabaseMetaData metaData = connection.getMetaData();
            return metaData.getDatabaseProductName() + " " + metaData.getDatabaseProductVersion();
        }
    }

    /** The URL with any {@code password=} parameter masked, for logs and error messages. */
    static String redact(String url) {
        return url.replaceAll("(?i)(password=)[^&;]*", "$1***");
    }

    @Override
    public AccountStore accounts() {
        return accounts;
    }

    @Override
    public RosterStore rosters() {
        return rosters;
    }

    @Override
    public OfflineStore offline() {
        return offline;
    }

    @Override
    public DocumentStore documents() {
        return documents;
    }

    @Override
    public RoomStore rooms() {
        return rooms;
    }

    @Override
    public ArchiveStore archive() {
        return archive;
    }

    @Override
    public PubSubStore pubsub() {
        return pubsub;
    }

    @Override
    public BlockListStore blockLists() {
        return blockLists;
    }

    @Override
    public PushStore push() {
        return push;
    }

    /** Closes the pool; the embedded H2 file closes (and compacts briefly) with its last connection. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            if (maintenance != null) {
                maintenance.close();
            }
            dataSource.close();
        }
    }
}
