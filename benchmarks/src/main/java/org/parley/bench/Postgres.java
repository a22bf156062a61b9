package org.parley.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL server for the cluster scenarios (Parley's cluster mode needs a shared PostgreSQL):
 * {@code initdb} and {@code pg_ctl} from the installed server binaries ({@code $PARLEY_PG_BIN}, else the newest
 * {@code /usr/lib/postgresql/<version>/bin}) in a temporary directory, on a free loopback port, trust
 * authentication, fsync off (nothing here must survive a power cut). As root it runs as the {@code postgres}
 * system user, which PostgreSQL requires. Stopped and deleted by {@link #close()}.
 */
final class Postgres implements AutoCloseable {
    static final String USER = "parley";
    private final Path bin;
    private final Path dir;
    private final boolean asPostgres;
    final int port;
    private boolean closed;

    private Postgres(Path bin, Path dir, boolean asPostgres, int port) {
        this.bin = bin;
        this.dir = dir;
        this.asPostgres = asPostgres;
        this.port = port;
    }

    static Postgres start() throws IOException {
        Path bin = binaries();
        Path dir = Files.createTempDirectory("parley-bench-pg-");
        boolean asPostgres = "root".equals(System.getProperty("user.name"));
        if (asPostgres) {
            Server.run("chown", "postgres", dir.toString());
        }
        Postgres pg = new Postgres(bin, dir, asPostgres, Server.freePort());
        pg.pg("initdb", "-D", dir.resolve("data").toString(), "-U", USER, "--auth=trust", "-E", "UTF8", "--no-locale",
                "--no-sync");
        pg.pg("pg_ctl", "-D", dir.resolve("data").toString(), "-l", dir.resolve("log").toString(), "-w", "-t", "120",
                "start", "-o", "-p " + pg.port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off"
                        + " -c max_connections=200 -c shared_buffers=64MB");
        return pg;
    }

    /** Creates an empty database; returns its JDBC URL. */
    String createDatabase(String name) {
        pg("createdb", "-h", "127.0.0.1", "-p", Integer.toString(port), "-U", USER, name);
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + name;
    }

    /** The server processes (postmaster and its back ends): their CPU is the database's share of a scenario. */
    long pid() {
        try {
            return Long.parseLong(Files.readAllLines(dir.resolve("data/postmaster.pid")).get(0).trim());
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            pg("pg_ctl", "-D", dir.resolve("data").toString(), "-m", "immediate", "-w", "stop");
        } catch (RuntimeException e) {
            System.err.println("PostgreSQL stop: " + e.getMessage());
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("could not delete " + dir + ": " + e.getMessage());
        }
    }

    private void pg(String... command) {
        List<String> full = new ArrayList<>();
        if (asPostgres) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.add(bin.resolve(command[0]).toString());
        full.addAll(List.of(command).subList(1, command.length));
        Server.run(full.toArray(String[]::new));
    }

    private static Path binaries() throws IOException {
        String configured = System.getenv("PARLEY_PG_BIN");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (Stream<Path> versions = Files.list(debian)) {
                var newest = versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("initdb")))
                        .max(Comparator.comparingInt(b -> {
                            try {
                                return Integer.parseInt(b.getParent().getFileName().toString());
                            } catch (NumberFormatException e) {
                                return 0;
                            }
                        }));
                if (newest.isPresent()) {
                    return newest.get();
                }
            }
        }
        throw new IOException("no PostgreSQL server binaries (initdb, pg_ctl): install the postgresql package or set"
                + " PARLEY_PG_BIN");
    }
}
