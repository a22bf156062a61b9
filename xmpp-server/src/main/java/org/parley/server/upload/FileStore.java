package org.parley.server.upload;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.Optional;

/**
 * Where uploaded files live (XEP-0363): a small interface so that another backend (an S3-compatible object
 * store) can replace the data-directory one without touching the protocol code. Ids are the slot ids the
 * service hands out (URL-safe, validated before they reach a store).
 */
public interface FileStore {

    /** What is known about a stored file; {@code owner} is the uploader's bare JID. */
    record StoredFile(String id, String owner, String filename, String contentType, long size, Instant created) {
    }

    /** The content did not have exactly the announced number of bytes; nothing was stored. */
    final class SizeMismatch extends IOException {
        public SizeMismatch(String message) {
            super(message);
        }
    }

    /**
     * Stores exactly {@code file.size()} bytes read from {@code content} under {@code file.id()}. The file is
     * visible ({@link #find}, {@link #open}) only once all of it is written: an interrupted or short upload
     * leaves nothing behind.
     *
     * @throws SizeMismatch when the stream ends early or has more bytes than announced
     * @throws java.nio.file.FileAlreadyExistsException when the id is taken
     */
    void put(StoredFile file, InputStream content) throws IOException;

    /** The file's description, if it is stored completely. */
    Optional<StoredFile> find(String id) throws IOException;

    /** The file's content; the caller closes it. */
    InputStream open(String id) throws IOException;

    /** Whether a file with this id is stored. */
    boolean exists(String id);

    /** Bytes stored for {@code owner} (a bare JID). */
    long usage(String owner) throws IOException;

    /** Deletes every file of {@code owner}; returns how many. */
    int deleteOwner(String owner) throws IOException;

    /** Deletes every file stored before {@code cutoff}, and leftovers of uploads that never finished. */
    int deleteOlderThan(Instant cutoff) throws IOException;
}
