package org.parley.server.storage;

/**
 * A storage backend failed: the database cannot be opened or migrated, or a statement failed. Unchecked
 * because no caller can recover beyond reporting it; the message is one line naming the problem, fit for
 * a log line or a startup error without the stack trace.
 */
public class StorageException extends RuntimeException {

    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
