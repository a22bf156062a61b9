package org.parley.server.storage.jdbc;

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
 * {@link Storage} on a relational database: by default an embedded SQLite file in the data directory
 * ({@link EmbeddedDatabase}), so a fresh install needs no database server, or the JDBC database the settings
 * name (PostgreSQL, or H2, the embedded database of earlier versions). One
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
    private final JdbcArchiveStore archive;
    private final PubSubStore pubsub;
    private final BlockListStore blockLists;
    private final PushStore push;
    /** An H2 file database's compaction (see {@link H2Maintenance}); null on other databases. */
    private final H2Maintenance maintenance;
    /** The embedded SQLite file's lock and compaction at stop; null on a configured database. */
    private final EmbeddedDatabase embedded;

    private JdbcStorage(HikariDataSource dataSource, Dialect dialect, H2Maintenance maintenance,
                        EmbeddedDatabase embedded) {
        this.dataSource = dataSource;
        this.maintenance = maintenance;
        this.embedded = embedded;
        Transactions db = new Transactions(dataSource, dialect);
        this.accounts = new JdbcAccountStore(db);
        this.rosters = new JdbcRosterStore(db);
        this.offline = new JdbcOfflineStore(db);
        this.documents = new JdbcDocumentStore(db);
        this.rooms = new JdbcRoomStore(db);
        this.archive = new JdbcArchiveStore(db, () -> writerConnection(dataSource));
        this.pubsub = new JdbcPubSubStore(db);
        this.blockLists = new JdbcBlockListStore(db);
        this.push = new JdbcPushStore(db);
    }

    /** A connection outside the pool, configured as the pool's are: the archive writer's own. */
    private static java.sql.Connection writerConnection(HikariDataSource dataSource) throws java.sql.SQLException {
        java.util.Properties properties = new java.util.Properties();
        properties.putAll(dataSource.getDataSourceProperties());
        if (dataSource.getUsername() != null) {
            properties.setProperty("user", dataSource.getUsername());
        }
        if (dataSource.getPassword() != null) {
            properties.setProperty("password", dataSource.getPassword());
        }
        return java.sql.DriverManager.getConnection(dataSource.getJdbcUrl(), properties);
    }

    /**
     * Connects and migrates the schema.
     *
     * @param settings      {@code jdbcUrl} null selects the embedded SQLite file {@code <dataDirectory>/db/parley.db}
     * @param dataDirectory the server's data directory
     * @throws StorageException when the database cannot be reached or migrated
     */
    public static JdbcStorage open(StorageSettings settings, Path dataDirectory) {
        return open(settings, dataDirectory, H2Maintenance.Schedule.DEFAULT);
    }

    /** {@link #open(StorageSettings, Path)} with an H2 file database's maintenance schedule (tests). */
    static JdbcStorage open(StorageSettings settings, Path dataDirectory, H2Maintenance.Schedule schedule) {
        EmbeddedDatabase embedded = settings.jdbcUrl() == null ? EmbeddedDatabase.open(dataDirectory) : null;
        try {
            return open(settings, embedded, schedule);
        } catch (RuntimeException e) {
            if (embedded != null) {
                embedded.close();
            }
            throw e;
        }
    }

    private static JdbcStorage open(StorageSettings settings, EmbeddedDatabase embedded,
                                    H2Maintenance.Schedule schedule) {
        String url = embedded != null ? embedded.url() : settings.jdbcUrl();
        Dialect dialect = Dialect.of(url);
        String shownUrl = redact(url);

        HikariDataSource dataSource;
        try {
            HikariConfig config = new HikariConfig();
            config.setPoolName("parley-storage");
            config.setJdbcUrl(url);
            if (dialect == Dialect.SQLITE) {
                // Pragmas for every connection; no user or password (SQLite has none, and the driver would
                // take a password as an encryption key).
                config.setDataSourceProperties(EmbeddedDatabase.connectionProperties());
            } else {
                boolean defaultUser = dialect == Dialect.H2 && settings.user() == null;
                config.setUsername(defaultUser ? "sa" : settings.user());
                config.setPassword(defaultUser && settings.password() == null ? "" : settings.password());
            }
            config.setMaximumPoolSize(Math.max(1, settings.poolSize()));
            config.setAutoCommit(false);
            dataSource = new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new StorageException("cannot open database " + shownUrl + ": " + Transactions.describe(e), e);
        }

        try {
            String location = dialect == Dialect.SQLITE ? "db/sqlite" : "db/migration";
            // Issue 18: a start on a database already at the newest migration does not need Flyway at all.
            if (!SchemaCheck.upToDate(dataSource, JdbcStorage.class.getClassLoader(), location)) {
                Flyway.configure(JdbcStorage.class.getClassLoader())
                        .dataSource(dataSource)
                        .locations("classpath:" + location)
                        .load()
                        .migrate();
            }
            LOG.info("Storage: {} at {}", product(dataSource), shownUrl);
        } catch (RuntimeException | SQLException e) {
            dataSource.close();
            throw new StorageException("cannot migrate database " + shownUrl + ": " + Transactions.describe(e), e);
        }
        H2Maintenance maintenance = null;
        if (dialect == Dialect.H2 && url.startsWith("jdbc:h2:file:")) {
            try {
                maintenance = H2Maintenance.start(dataSource, schedule);
            } catch (RuntimeException e) {
                dataSource.close();
                throw new StorageException("cannot open database " + shownUrl + ": " + Transactions.describe(e), e);
            }
        }
        return new JdbcStorage(dataSource, dialect, maintenance, embedded);
    }

    /** HikariCP's own Micrometer meters ({@code hikaricp_connections_*}, tag {@code pool=parley-storage}). */
    @Override
    public void bindMetrics(io.micrometer.core.instrument.MeterRegistry registry) {
        try {
            dataSource.setMetricRegistry(registry);
        } catch (RuntimeException e) {
            LOG.warn("database pool metrics unavailable: {}", e.getMessage());
        }
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

    /**
     * Closes the pool; then the embedded file is compacted and unlocked (an H2 file closes, and compacts
     * briefly, with its last connection).
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            if (maintenance != null) {
                maintenance.close();
            }
            archive.close();
            dataSource.close();
            if (embedded != null) {
                embedded.close();
            }
        }
    }
}
