package org.parley.server.config;

/**
 * A setting could not be used: unknown key, value out of bounds, unreadable file. Exists so that the
 * command line can show the operator exactly one line that names the key, the offending value and what
 * is allowed, instead of a stack trace.
 */
public final class SettingsException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** @param message one line, e.g. {@code c2s.port: 70000 is not allowed (expected a port 0-65535)} */
    public SettingsException(String message) {
        super(oneLine(message));
    }

    private static String oneLine(String message) {
        return message == null ? "invalid settings" : message.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }
}
