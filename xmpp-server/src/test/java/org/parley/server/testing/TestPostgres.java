package org.parley.server.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.parley.server.config.ServerSettings.StorageSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server for tests: a throwaway cluster, created with the installed PostgreSQL binaries
 * ({@code initdb}, {@code pg_ctl}) in a temporary directory and listening on an ephemeral loopback port,
 * started once per JVM and removed at JVM exit. Each {@link #newDatabase()} is a fresh empty database.
 *
 * <p>PostgreSQL refuses to run as root, so as root the cluster belongs to, and runs as, the {@code postgres}
 * system user (through {@code runuser}); otherwise as the current user. Binaries are looked up in
 * {@code $PARLEY_PG_BIN}, then {@code /usr/lib/postgresql/<newest>/bin}, then the {@code PATH}. When there
 * are none, {@link #newDatabase()} aborts the calling test with a visible reason (a skipped test, not a pass);
 * {@code .ci/run} installs PostgreSQL and sets {@code PARLEY_REQUIRE_POSTGRES=1}, which turns the skip into a
 * failure, so that CI always runs these tests.
 */
public final class TestPostgres {

    private static final Logger LOG = LoggerFactory.getLogger(TestPostgres.class);
    private static final String USER = "parley";
    private static final AtomicInteger DATABASES = new AtomicInteger();

    private static TestPostgres instance;
    private static String unavailable;

    private final Path binaries;
    private final Path directory;
    private final int port;
    private final boolean asPostgresUser;

    private TestPostgres(Path binaries, Path directory, int port, boolean asPostgresUser) {
        this.binaries = binaries;
        this.directory = directory;
        this.port = port;
        this.asPostgresUser = asPostgresUser;
    }

    /**
     * The shared cluster, started at first use.
     *
     * @throws org.opentest4j.TestAbortedException when PostgreSQL is not installed or does not start
     */
    public static synchronized TestPostgres get() {
        if (instance == null && unavailable == null) {
            try {
                instance = start();
            } catch (Exception e) {
                unavailable = e.getMessage();
                LOG.warn("PostgreSQL tests will be skipped: {}", unavailable);
            }
        }
        if (instance == null && "1".equals(System.getenv("PARLEY_REQUIRE_POSTGRES"))) {
            throw new IllegalStateException("PostgreSQL is required (PARLEY_REQUIRE_POSTGRES=1) but " + unavailable);
        }
        Assumptions.assumeTrue(instance != null, () -> "PostgreSQL tests skipped: " + unavailable
                + " (install the postgresql package, or set PARLEY_PG_BIN to the directory holding initdb and pg_ctl)");
        return instance;
    }

    /** A new, empty database on the shared cluster, as storage settings for Parley. */
    public static StorageSettings newDatabase() {
        return get().createDatabase();
    }

    /** A new database named after the caller's purpose (letters, digits and underscores). */
    public StorageSettings createDatabase() {
        String name = "parley_test_" + DATABASES.incrementAndGet();
        try (Connection c = DriverManager.getConnection(url("postgres"), USER, "");
             Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create test database " + name, e);
        }
        return new StorageSettings(url(name), USER, "", 4);
    }

    /**
     * Drops a database made by {@link #createDatabase()} while clients may still be connected (their connections
     * are terminated): the database server is there, the database is gone.
     */
    public void dropDatabase(StorageSettings database) {
        String name = database.jdbcUrl().substring(database.jdbcUrl().lastIndexOf('/') + 1);
        if (!name.matches("parley_test_[0-9]+")) {
            throw new IllegalArgumentException("not a test database: " + name);
        }
        try (Connection c = DriverManager.getConnection(url("postgres"), USER, "");
             Statement s = c.createStatement()) {
            s.execute("DROP DATABASE " + name + " WITH (FORCE)");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot drop test database " + name, e);
        }
    }

    public String url(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    private static TestPostgres start() throws IOException, InterruptedException {
        Path binaries = findBinaries();
        boolean asPostgresUser = "root".equals(System.getProperty("user.name"));
        Path directory = Files.createTempDirectory("parley-pg-");
        Path cluster = directory.resolve("cluster");
        if (asPostgresUser) {
            run(List.of("chown", "postgres", directory.toString()), directory, false);
        }
        TestPostgres postgres = null;
        for (int attempt = 1; attempt <= 3; attempt++) {
            int port = freePort();
            TestPostgres candidate = new TestPostgres(binaries, directory, port, asPostgresUser);
            if (attempt == 1) {
                // C locale: byte order, so LIKE 'prefix%' can use a plain index; fsync off: a test cluster
                // need not survive a power cut (Parley's crash tests kill Parley, not the database).
                candidate.pg(List.of("initdb", "-D", cluster.toString(), "-U", USER, "--auth=trust", "-E", "UTF8",
                        "--no-locale", "--no-sync"));
                // In the configuration file rather than on the command line, so that a benchmark can turn
                // fsync back on (ALTER SYSTEM, reload).
                Files.writeString(cluster.resolve("postgresql.conf"), "\nfsync = off\n",
                        java.nio.file.StandardOpenOption.APPEND);
            }
            try {
                candidate.pg(List.of("pg_ctl", "-D", cluster.toString(), "-l", directory.resolve("log").toString(),
                        "-w", "-t", "60", "start", "-o",
                        "-p " + port + " -k " + directory + " -c listen_addresses=127.0.0.1"
                                + " -c max_connections=200 -c shared_buffers=32MB"));
                postgres = candidate;
                break;
            } catch (IOException e) {
                if (attempt == 3) {
                    throw e; // the port was taken between choosing and binding it, three times
                }
            }
        }
        TestPostgres started = postgres;
        Runtime.getRuntime().addShutdownHook(new Thread(started::stop, "test-postgres-stop"));
        LOG.info("Test PostgreSQL on port {} in {}", started.port, directory);
        return started;
    }

    private void stop() {
        try {
            pg(List.of("pg_ctl", "-D", directory.resolve("cluster").toString(), "-m", "immediate", "-w", "stop"));
        } catch (IOException | InterruptedException e) {
            LOG.warn("could not stop test PostgreSQL: {}", e.getMessage());
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.warn("could not delete {}: {}", directory, e.getMessage());
        }
    }

    private void pg(List<String> command) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>(command);
        full.set(0, binaries.resolve(command.get(0)).toString());
        run(full, directory, asPostgresUser);
    }

    private static void run(List<String> command, Path workingDirectory, boolean asPostgresUser)
            throws IOException, InterruptedException {
        List<String> full = new ArrayList<>();
        if (asPostgresUser) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(command);
        Path output = Files.createTempFile("parley-pg-cmd-", ".log");
        try {
            Process process = new ProcessBuilder(full).directory(workingDirectory.toFile())
                    .redirectErrorStream(true).redirectOutput(output.toFile()).start();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", full) + " did not finish in 120 s");
            }
            if (process.exitValue() != 0) {
                throw new IOException(String.join(" ", full) + " failed (exit " + process.exitValue() + "): "
                        + Files.readString(output, StandardCharsets.UTF_8).strip());
            }
        } finally {
            Files.deleteIfExists(output);
        }
    }

    private static Path findBinaries() throws IOException {
        String configured = System.getenv("PARLEY_PG_BIN");
        if (configured != null && !configured.isBlank()) {
            Path path = Path.of(configured);
            if (Files.isExecutable(path.resolve("initdb"))) {
                return path;
            }
            throw new IOException("PARLEY_PG_BIN=" + configured + " holds no initdb");
        }
        Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (Stream<Path> versions = Files.list(debian)) {
                var newest = versions.map(v -> v.resolve("bin"))
                        .filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("pg_ctl")))
                        .max(Comparator.comparingInt(TestPostgres::majorVersion));
                if (newest.isPresent()) {
                    return newest.get();
                }
            }
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "initdb")) && Files.isExecutable(Path.of(dir, "pg_ctl"))) {
                return Path.of(dir);
            }
        }
        throw new IOException("no PostgreSQL binaries found (initdb, pg_ctl)");
    }

    private static int majorVersion(Path bin) {
        try {
            return Integer.parseInt(bin.getParent().getFileName().toString());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
