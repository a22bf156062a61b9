package org.parley.server.upload;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * {@link FileStore} in a directory (by default {@code <data-directory>/uploads}):
 *
 * <pre>
 *   files/&lt;id&gt;            the content
 *   files/&lt;id&gt;.meta       its description (java.util.Properties)
 *   owners/&lt;sha256(owner)&gt;/&lt;id&gt;   an empty marker per file of a user (usage, account deletion)
 *   incoming/&lt;id&gt;.&lt;uuid&gt;.part  uploads being written
 * </pre>
 *
 * Content is streamed to a file in {@code incoming/} (never held in memory) and moved into {@code files/}
 * with an atomic rename only after the last byte, after the description and the owner's marker: a file
 * that is visible is complete, and an interrupted upload leaves at most a {@code .part} file that
 * {@link #deleteOlderThan} (and the next start) removes.
 */
public final class DirectoryFileStore implements FileStore {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{16,64}");
    private static final int BUFFER = 64 * 1024;

    private final Path files;
    private final Path owners;
    private final Path incoming;

    public DirectoryFileStore(Path root) throws IOException {
        this.files = Files.createDirectories(root.resolve("files"));
        this.owners = Files.createDirectories(root.resolve("owners"));
        this.incoming = Files.createDirectories(root.resolve("incoming"));
        // Nothing can be uploading before the server starts: what is left here was interrupted.
        try (DirectoryStream<Path> parts = Files.newDirectoryStream(incoming)) {
            for (Path part : parts) {
                Files.deleteIfExists(part);
            }
        }
    }

    @Override
    public void put(StoredFile file, InputStream content) throws IOException {
        String id = checked(file.id());
        Path blob = files.resolve(id);
        if (Files.exists(blob)) {
            throw new FileAlreadyExistsException(id);
        }
        Path part = incoming.resolve(id + "." + UUID.randomUUID() + ".part");
        Path meta = files.resolve(id + ".meta");
        Path marker = ownerDirectory(file.owner()).resolve(id);
        boolean done = false;
        try {
            try (OutputStream out = Files.newOutputStream(part)) {
                copyExactly(content, out, file.size());
            }
            Path metaPart = incoming.resolve(id + "." + UUID.randomUUID() + ".meta.part");
            try (Writer w = Files.newBufferedWriter(metaPart, StandardCharsets.UTF_8)) {
                Properties p = new Properties();
                p.setProperty("owner", file.owner());
                p.setProperty("filename", file.filename());
                p.setProperty("content-type", file.contentType());
                p.setProperty("size", Long.toString(file.size()));
                p.setProperty("created", file.created().toString());
                p.store(w, null);
            }
            move(metaPart, meta);
            Files.createDirectories(marker.getParent());
            Files.write(marker, new byte[0]);
            move(part, blob); // the file becomes visible with its last step
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(part);
                if (!Files.exists(blob)) {
                    Files.deleteIfExists(meta);
                    Files.deleteIfExists(marker);
                }
            }
        }
    }

    private static void copyExactly(InputStream in, OutputStream out, long size) throws IOException {
        byte[] buffer = new byte[BUFFER];
        long left = size;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new SizeMismatch("the content ended after " + (size - left) + " of " + size + " bytes");
            }
            out.write(buffer, 0, n);
            left -= n;
        }
        if (in.read() >= 0) {
            throw new SizeMismatch("the content is longer than " + size + " bytes");
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    @Override
    public Optional<StoredFile> find(String id) throws IOException {
        if (!ID.matcher(id).matches() || !Files.exists(files.resolve(id))) {
            return Optional.empty();
        }
        return describe(id);
    }

    private Optional<StoredFile> describe(String id) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(files.resolve(id + ".meta"), StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        return Optional.of(new StoredFile(id, p.getProperty("owner"), p.getProperty("filename"),
                p.getProperty("content-type"), Long.parseLong(p.getProperty("size")),
                Instant.parse(p.getProperty("created"))));
    }

    @Override
    public InputStream open(String id) throws IOException {
        return Files.newInputStream(files.resolve(checked(id)));
    }

    @Override
    public boolean exists(String id) {
        return ID.matcher(id).matches() && Files.exists(files.resolve(id));
    }

    @Override
    public long usage(String owner) throws IOException {
        Path dir = ownerDirectory(owner);
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        long total = 0;
        try (DirectoryStream<Path> markers = Files.newDirectoryStream(dir)) {
            for (Path marker : markers) {
                Path blob = files.resolve(marker.getFileName().toString());
                try {
                    total += Files.size(blob);
                } catch (NoSuchFileException e) {
                    // being written or deleted right now
                }
            }
        }
        return total;
    }

    @Override
    public int deleteOwner(String owner) throws IOException {
        Path dir = ownerDirectory(owner);
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        int n = 0;
        try (DirectoryStream<Path> markers = Files.newDirectoryStream(dir)) {
            for (Path marker : markers) {
                String id = marker.getFileName().toString();
                if (delete(id)) {
                    n++;
                }
                Files.deleteIfExists(marker);
            }
        }
        Files.deleteIfExists(dir);
        return n;
    }

    /** Content first, so that a file disappears at once; then its description. */
    private boolean delete(String id) throws IOException {
        boolean existed = Files.deleteIfExists(files.resolve(id));
        Files.deleteIfExists(files.resolve(id + ".meta"));
        return existed;
    }

    @Override
    public int deleteOlderThan(Instant cutoff) throws IOException {
        int n = 0;
        try (DirectoryStream<Path> metas = Files.newDirectoryStream(files, "*.meta")) {
            for (Path meta : metas) {
                String name = meta.getFileName().toString();
                String id = name.substring(0, name.length() - ".meta".length());
                Optional<StoredFile> file = describe(id);
                if (file.isPresent() && file.get().created().isBefore(cutoff)) {
                    if (delete(id)) {
                        n++;
                    }
                    Files.deleteIfExists(ownerDirectory(file.get().owner()).resolve(id));
                }
            }
        }
        // An upload running for a day is not running any more.
        Instant stale = Instant.now().minusSeconds(86_400);
        try (DirectoryStream<Path> parts = Files.newDirectoryStream(incoming)) {
            for (Path part : parts) {
                if (Files.getLastModifiedTime(part).toInstant().isBefore(stale)) {
                    Files.deleteIfExists(part);
                }
            }
        }
        return n;
    }

    private Path ownerDirectory(String owner) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(owner.getBytes(StandardCharsets.UTF_8));
            return owners.resolve(HexFormat.of().formatHex(digest));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String checked(String id) {
        if (!ID.matcher(id).matches()) {
            throw new IllegalArgumentException("not a file id: " + id);
        }
        return id;
    }
}
