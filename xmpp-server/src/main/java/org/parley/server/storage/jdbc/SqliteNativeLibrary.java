package org.parley.server.storage.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteJDBCLoader;
import org.sqlite.util.LibraryLoaderUtil;

/**
 * Keeps the SQLite driver's native library in the data directory, so that a start loads it instead of extracting
 * it again (issue 18, cold start).
 *
 * <p>Left alone, the driver copies its 1 MB library out of its jar into {@code java.io.tmpdir} under a new name on
 * every start and then compares the copy with the jar's entry one byte at a time through a buffered stream: on the
 * profile of a cold start that comparison alone was a fifth of all samples, on the main thread, before the first
 * connection. The driver's documented properties {@code org.sqlite.lib.path}/{@code org.sqlite.lib.name} make it
 * load a given file instead; this class provides one, {@code <data>/db/native/<driver version><resource path>/},
 * written once (to a temporary name, then moved into place) and reused while its size matches the jar's entry.
 * The data directory is the server's own (0700), unlike a shared temporary directory.
 *
 * <p>When the operator set {@code org.sqlite.lib.path} themselves, or anything here fails, the driver's own
 * behaviour applies (it also falls back to extracting when loading the given file fails, e.g. on a
 * {@code noexec} mount).
 */
final class SqliteNativeLibrary {

    private static final Logger LOG = LoggerFactory.getLogger(SqliteNativeLibrary.class);
    static final String PATH_PROPERTY = "org.sqlite.lib.path";
    static final String NAME_PROPERTY = "org.sqlite.lib.name";

    private SqliteNativeLibrary() {
    }

    /** Points the driver at a copy of its library under {@code databaseDirectory}; returns the copy, or null. */
    static synchronized Path useCopyIn(Path databaseDirectory) {
        if (System.getProperty(PATH_PROPERTY) != null) {
            return null; // the operator's choice
        }
        try {
            String folder = LibraryLoaderUtil.getNativeLibResourcePath(); // e.g. /org/sqlite/native/Linux/x86_64
            String name = LibraryLoaderUtil.getNativeLibName();
            URL resource = SQLiteJDBCLoader.class.getResource(folder + "/" + name);
            if (resource == null) {
                return null; // no bundled library for this platform: the driver reports it
            }
            URLConnection connection = resource.openConnection();
            connection.setUseCaches(false); // do not keep the driver's jar open twice
            long size = connection.getContentLengthLong();
            Path directory = databaseDirectory.resolve("native")
                    .resolve(sanitise(SQLiteJDBCLoader.getVersion() + folder.replace("/org/sqlite/native", "")));
            Path library = directory.resolve(name);
            if (!Files.isRegularFile(library) || size < 0 || Files.size(library) != size) {
                Files.createDirectories(directory);
                Path partial = Files.createTempFile(directory, name, ".partial");
                try (InputStream in = connection.getInputStream()) {
                    Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
                    Files.move(partial, library, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } finally {
                    Files.deleteIfExists(partial);
                }
            } else {
                connection.getInputStream().close(); // opened by getContentLengthLong
            }
            System.setProperty(PATH_PROPERTY, directory.toAbsolutePath().toString());
            System.setProperty(NAME_PROPERTY, name);
            return library;
        } catch (IOException | RuntimeException | LinkageError e) {
            LOG.debug("SQLite native library not kept in the data directory ({}); the driver extracts it", e.toString());
            return null;
        }
    }

    private static String sanitise(String s) {
        return s.replaceAll("[^A-Za-z0-9._-]", "-");
    }
}
