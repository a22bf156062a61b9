package org.parley.server.accounts;

/**
 * A rejected account operation, with a one-line message meant for the person who asked
 * (admin command, registration form, import report), e.g. {@code username 'alice' is taken}.
 */
public class AccountException extends RuntimeException {

    public AccountException(String message) {
        super(message);
    }
}
