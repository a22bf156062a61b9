package org.parley.server.storage.jdbc;

import java.io.IOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.OptionalInt;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.sql.DataSource;

/**
 * Whether a database's schema is already at the newest migration this build carries, so that a start can skip
 * Flyway (issue 18, cold start: configuring Flyway, scanning its locations and validating every applied
 * migration's checksum cost about a tenth of the CPU to the first login, on every start, to find nothing to do).
 *
 * <p>Conservative: the answer is yes only when every migration file in the location is a plain versioned one
 * ({@code V<n>__<description>.sql}, whole-number versions as Parley uses), Flyway's history table exists, has no
 * failed entry, and its newest applied version equals the newest file's. Anything else — a new migration, a
 * repeatable or differently named one, a missing or unreadable history, a failed migration — answers no, and
 * Flyway runs, migrates and validates as before. What a skipped start does not do is compare the checksums of
 * migrations applied earlier with the files (a migration edited after it was applied); the next start that
 * migrates does.
 */
final class SchemaCheck {

    private static final Pattern VERSIONED = Pattern.compile("V([0-9]{1,9})__[^/]*\\.sql");

    private SchemaCheck() {
    }

    /** True when {@code dataSource}'s schema is at the newest migration under {@code location} (e.g. db/sqlite). */
    static boolean upToDate(DataSource dataSource, ClassLoader loader, String location) {
        OptionalInt newest = newestMigration(loader, location);
        if (newest.isEmpty()) {
            return false;
        }
        try (Connection c = dataSource.getConnection()) {
            try (Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT \"version\", \"success\" FROM \"flyway_schema_history\"")) {
                int applied = -1;
                while (rs.next()) {
                    if (!rs.getBoolean(2)) {
                        return false; // a failed migration: Flyway reports it
                    }
                    String version = rs.getString(1);
                    if (version != null) { // null: a repeatable migration or a schema marker
                        applied = Math.max(applied, Integer.parseInt(version));
                    }
                }
                return applied == newest.getAsInt();
            } finally {
                if (!c.getAutoCommit()) {
                    c.rollback(); // read only; ends the transaction (a failed one too) before the pool takes it back
                }
            }
        } catch (SQLException | RuntimeException e) {
            return false; // no history table yet, a version that is not a whole number, ...: Flyway decides
        }
    }

    /** The highest {@code V<n>} of the migration files under {@code location}; empty when any file is unusual. */
    static OptionalInt newestMigration(ClassLoader loader, String location) {
        List<String> names = new ArrayList<>();
        try {
            Enumeration<URL> roots = loader.getResources(location);
            while (roots.hasMoreElements()) {
                URL root = roots.nextElement();
                switch (root.getProtocol()) {
                    case "file" -> {
                        try (Stream<Path> files = Files.list(Path.of(root.toURI()))) {
                            files.forEach(f -> names.add(f.getFileName().toString()));
                        }
                    }
                    case "jar" -> {
                        URLConnection connection = root.openConnection();
                        if (!(connection instanceof JarURLConnection jar)) {
                            return OptionalInt.empty();
                        }
                        connection.setUseCaches(false); // our own JarFile, closed here: no descriptor left open
                        String prefix = location.endsWith("/") ? location : location + "/";
                        try (JarFile file = jar.getJarFile()) {
                            for (Enumeration<JarEntry> e = file.entries(); e.hasMoreElements(); ) {
                                String entry = e.nextElement().getName();
                                if (entry.startsWith(prefix) && entry.length() > prefix.length()) {
                                    names.add(entry.substring(prefix.length()));
                                }
                            }
                        }
                    }
                    default -> {
                        return OptionalInt.empty();
                    }
                }
            }
        } catch (IOException | URISyntaxException | RuntimeException e) {
            return OptionalInt.empty();
        }
        int newest = -1;
        for (String name : names) {
            Matcher m = VERSIONED.matcher(name);
            if (!m.matches()) {
                return OptionalInt.empty(); // repeatable, dotted version, sub-folder, Java migration, ...
            }
            newest = Math.max(newest, Integer.parseInt(m.group(1)));
        }
        return newest < 0 ? OptionalInt.empty() : OptionalInt.of(newest);
    }
}
