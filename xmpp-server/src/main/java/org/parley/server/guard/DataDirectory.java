package org.parley.server.guard;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data directory holds every message, room password and the TLS key: only the server's own user may enter
 * it (0700), so that other local users cannot read anything in it, whatever the modes of the files inside.
 * Created that way; an existing one open to others is closed (with a log line). Nothing on non-POSIX systems.
 */
public final class DataDirectory {

    private static final Logger LOG = LoggerFactory.getLogger(DataDirectory.class);
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    private DataDirectory() {
    }

    public static void secure(Path directory) {
        if (!FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            return;
        }
        try {
            if (Files.notExists(directory)) {
                Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
                Files.setPosixFilePermissions(directory, OWNER_ONLY); // the umask may have taken bits away
                return;
            }
            Set<PosixFilePermission> now = Files.getPosixFilePermissions(directory);
            if (!now.equals(OWNER_ONLY)) {
                Files.setPosixFilePermissions(directory, OWNER_ONLY);
                LOG.info("data directory {} was {}; now {} (only this user may read messages and keys)", directory,
                        PosixFilePermissions.toString(now), PosixFilePermissions.toString(OWNER_ONLY));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("data-directory: cannot create or protect " + directory, e);
        }
    }
}
