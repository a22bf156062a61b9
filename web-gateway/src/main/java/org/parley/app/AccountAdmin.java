package org.parley.app;

import java.io.Reader;
import java.util.List;

import org.parley.server.config.ServerSettings;

/**
 * The account operations behind {@code parley user ...}, opened directly on the storage (the server need
 * not run). An interface so the commands can be tested with an in-memory fake; {@link JdbcAccountAdmin}
 * is the real one.
 */
public interface AccountAdmin extends AutoCloseable {

    /**
     * @return the normalised username ({@code Alice} becomes {@code alice})
     * @throws org.parley.server.accounts.AccountException invalid or taken username, unacceptable password
     */
    String create(String username, String password);

    /** @throws org.parley.server.accounts.AccountException no such account, unacceptable password */
    void setPassword(String username, String password);

    /** Deletes the account and its data. @throws org.parley.server.accounts.AccountException no such account */
    void delete(String username);

    /** Usernames, sorted. */
    List<String> list();

    /**
     * Imports many accounts.
     *
     * @param progress told (accounts stored, valid lines) after every batch; a long import shows progress
     */
    ImportSummary importAccounts(Reader reader, java.util.function.BiConsumer<Integer, Integer> progress);

    /** Closes the storage. */
    @Override
    void close();

    /** Outcome of an import: accounts created, lines skipped (existing accounts), rejected line numbers. */
    record ImportSummary(long created, long skipped, List<Integer> invalidLines) {
    }

    /** Opens the accounts of the configured storage. */
    @FunctionalInterface
    interface Opener {
        AccountAdmin open(ServerSettings settings);
    }
}
