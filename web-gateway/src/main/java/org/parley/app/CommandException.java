package org.parley.app;

/**
 * A failure the operator caused and can fix (no password given, no such account, unreadable import file).
 * Its message is shown as the single line {@code parley: <message>}, never with a stack trace.
 */
public final class CommandException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public CommandException(String message) {
        super(message);
    }
}
