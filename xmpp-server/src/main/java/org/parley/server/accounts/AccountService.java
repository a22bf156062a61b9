package org.parley.server.accounts;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.apache.vysper.xmpp.addressing.stringprep.NodePrep;
import org.apache.vysper.xmpp.addressing.stringprep.StringPrepViolationException;
import org.parley.server.sasl.SaslPrep;
import org.parley.server.sasl.Scram;
import org.parley.server.sasl.ScramCredential;
import org.parley.server.sasl.ScramHash;
import org.parley.server.storage.AccountStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Account management on top of an {@link AccountStore}: the one place that validates usernames and passwords
 * and turns passwords into SCRAM verifiers, so registration, admin commands and bulk import apply the same
 * rules and no caller ever stores a password.
 */
public final class AccountService {

    /** RFC 6122 §2.3: a localpart is at most 1023 bytes. */
    public static final int MAX_USERNAME_BYTES = 1023;
    public static final int MAX_PASSWORD_LENGTH = 1024;
    public static final int DEFAULT_MIN_PASSWORD_LENGTH = 6;
    private static final int IMPORT_BATCH = 500;

    private static final Logger LOG = LoggerFactory.getLogger(AccountService.class);

    private final AccountStore store;
    private final List<java.util.function.Consumer<String>> deletionListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<java.util.function.Consumer<String>> passwordListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final int iterations;
    private final int minPasswordLength;

    /**
     * @param store             where accounts live
     * @param iterations        PBKDF2 iterations for new verifiers ({@code limits.scramIterations})
     * @param minPasswordLength shortest password accepted, in characters
     */
    public AccountService(AccountStore store, int iterations, int minPasswordLength) {
        this.store = Objects.requireNonNull(store, "store");
        if (iterations < 1 || minPasswordLength < 1 || minPasswordLength > MAX_PASSWORD_LENGTH) {
            throw new IllegalArgumentException("iterations and minPasswordLength must be positive");
        }
        this.iterations = iterations;
        this.minPasswordLength = minPasswordLength;
    }

    /** With the default minimum password length of 6. */
    public AccountService(AccountStore store, int iterations) {
        this(store, iterations, DEFAULT_MIN_PASSWORD_LENGTH);
    }

    /**
     * Creates an account.
     *
     * @return the normalised username (e.g. "Alice" becomes "alice")
     * @throws AccountException when the username is invalid or taken, or the password is unacceptable
     */
    public String create(String username, String password) {
        String user = validUsername(username);
        validatePassword(password);
        if (!store.create(user, credentials(password))) {
            throw new AccountException("username '" + user + "' is taken");
        }
        LOG.info("Created account '{}'", user);
        return user;
    }

    /** Replaces the password of an existing account. */
    public void setPassword(String username, String password) {
        String user = validUsername(username);
        validatePassword(password);
        if (!store.updateCredentials(user, credentials(password))) {
            throw new AccountException("no account '" + user + "'");
        }
        for (var listener : passwordListeners) {
            listener.accept(user);
        }
        LOG.info("Changed password of '{}'", user);
    }

    /**
     * Credentials derived from the old password (device tokens) are revoked by a listener; it runs after the
     * new password is stored, with the normalised username.
     */
    public void onPasswordChanged(java.util.function.Consumer<String> listener) {
        passwordListeners.add(listener);
    }

    /**
     * Data kept under the user's JID rather than the username (the message archive) is removed by a
     * listener that knows the domain; it runs after the account row is gone, with the normalised username.
     */
    public void onDeleted(java.util.function.Consumer<String> listener) {
        deletionListeners.add(listener);
    }

    /** Deletes the account and its data; throws when there is no such account. */
    public void delete(String username) {
        String user = validUsername(username);
        if (!store.delete(user)) {
            throw new AccountException("no account '" + user + "'");
        }
        for (var listener : deletionListeners) {
            listener.accept(user);
        }
        LOG.info("Deleted account '{}'", user);
    }

    /** All usernames, sorted. */
    public List<String> list() {
        return store.list();
    }

    /** How many accounts there are (a COUNT in the database, not a list of every name). */
    public long count() {
        return store.count();
    }

    /** Whether the account exists; false for names that could not be accounts at all. */
    public boolean exists(String username) {
        try {
            return store.exists(validUsername(username));
        } catch (AccountException e) {
            return false;
        }
    }

    /** Whether the password is right (for admin commands); false for unknown users. */
    public boolean checkPassword(String username, String password) {
        String user;
        try {
            user = validUsername(username);
        } catch (AccountException e) {
            return false;
        }
        return store.credentials(user).map(creds -> {
            ScramCredential c = creds.containsKey(ScramHash.SHA_256) ? creds.get(ScramHash.SHA_256)
                    : creds.get(ScramHash.SHA_1);
            return c != null && password != null && Scram.verify(c, password);
        }).orElse(false);
    }

    /**
     * Creates accounts from lines of {@code username:password} or {@code username<TAB>password} (the first ':' or
     * tab separates; the password may contain more). Blank lines and lines starting with '#' are skipped.
     * Existing usernames, and repeats within the input, are skipped and left unchanged.
     *
     * @throws UncheckedIOException when the reader fails
     */
    public ImportResult importAccounts(Reader lines) {
        return importAccounts(lines, (done, total) -> { });
    }

    /** Told how far an import has got: accounts stored so far, of how many valid lines. */
    @FunctionalInterface
    public interface ImportProgress {
        void stored(int done, int total);
    }

    /**
     * Like {@link #importAccounts(Reader)}, reporting progress after every batch. Verifiers are derived on
     * all cores (PBKDF2 dominates: about 10 ms per account at 4096 iterations) and stored in batches, so a
     * benchmark's 10 000 accounts take seconds per core, not minutes.
     */
    public ImportResult importAccounts(Reader lines, ImportProgress progress) {
        Map<String, String> valid = new LinkedHashMap<>();
        List<Integer> invalidLines = new ArrayList<>();
        int skipped = 0;
        int lineNumber = 0;
        try (BufferedReader reader = new BufferedReader(lines)) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                lineNumber++;
                if (line.isBlank() || line.stripLeading().startsWith("#")) {
                    continue;
                }
                int colon = line.indexOf(':');
                int tab = line.indexOf('\t');
                int sep = colon < 0 ? tab : tab < 0 ? colon : Math.min(colon, tab);
                try {
                    if (sep < 0) {
                        throw new AccountException("expected username:password");
                    }
                    String user = validUsername(line.substring(0, sep).strip());
                    String password = line.substring(sep + 1);
                    validatePassword(password);
                    if (valid.containsKey(user) || store.exists(user)) {
                        skipped++;
                    } else {
                        valid.put(user, password);
                    }
                } catch (AccountException e) {
                    LOG.warn("Import line {}: {}", lineNumber, e.getMessage());
                    invalidLines.add(lineNumber);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read account list", e);
        }
        List<Map.Entry<String, String>> pending = new ArrayList<>(valid.entrySet());
        int created = 0;
        for (int from = 0; from < pending.size(); from += IMPORT_BATCH) {
            List<Map.Entry<String, String>> batch = pending.subList(from, Math.min(pending.size(), from + IMPORT_BATCH));
            Map<String, Map<ScramHash, ScramCredential>> accounts = new LinkedHashMap<>();
            batch.parallelStream()
                    .map(e -> Map.entry(e.getKey(), credentials(e.getValue())))
                    .toList()
                    .forEach(e -> accounts.put(e.getKey(), e.getValue()));
            created += store.createAll(accounts);
            progress.stored(from + batch.size(), pending.size());
        }
        skipped += pending.size() - created; // created concurrently by someone else
        LOG.info("Imported accounts: {} created, {} skipped, {} invalid", created, skipped, invalidLines.size());
        return new ImportResult(created, skipped, List.copyOf(invalidLines));
    }

    /**
     * Outcome of {@link #importAccounts}.
     *
     * @param created      accounts created
     * @param skipped      valid lines whose username already existed
     * @param invalidLines 1-based numbers of lines that were rejected
     */
    public record ImportResult(int created, int skipped, List<Integer> invalidLines) {
        public int invalid() {
            return invalidLines.size();
        }
    }

    private Map<ScramHash, ScramCredential> credentials(String password) {
        return Scram.derive(password, iterations);
    }

    /** Nodeprep (RFC 6122 Appendix A) plus the length limit; returns the normalised name. */
    private static String validUsername(String username) {
        if (username == null || username.isEmpty()) {
            throw new AccountException("username must not be empty");
        }
        if (username.indexOf('@') >= 0 || username.indexOf('/') >= 0) {
            throw new AccountException("username '" + username + "' must not contain '@' or '/'");
        }
        String node;
        try {
            node = NodePrep.prepare(username);
        } catch (StringPrepViolationException e) {
            throw new AccountException("username '" + username + "' contains a character that is not allowed");
        }
        // Vysper's nodeprep misses U+0022, which RFC 6122 Appendix A.5 also prohibits.
        if (node.indexOf('"') >= 0) {
            throw new AccountException("username '" + username + "' contains a character that is not allowed");
        }
        if (node.isEmpty()) {
            throw new AccountException("username must not be empty");
        }
        if (node.getBytes(StandardCharsets.UTF_8).length > MAX_USERNAME_BYTES) {
            throw new AccountException("username is longer than " + MAX_USERNAME_BYTES + " bytes");
        }
        return node;
    }

    private void validatePassword(String password) {
        if (password == null || password.isEmpty()) {
            throw new AccountException("password must not be empty");
        }
        if (password.codePointCount(0, password.length()) < minPasswordLength) {
            throw new AccountException("password must be at least " + minPasswordLength + " characters");
        }
        if (password.length() > MAX_PASSWORD_LENGTH) {
            throw new AccountException("password must be at most " + MAX_PASSWORD_LENGTH + " characters");
        }
        try {
            SaslPrep.prepareStored(password); // RFC 4013; what Scram.derive applies
        } catch (IllegalArgumentException e) {
            throw new AccountException("password contains a character that is not allowed (" + e.getMessage() + ")");
        }
    }
}
