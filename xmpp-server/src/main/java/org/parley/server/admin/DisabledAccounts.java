package org.parley.server.admin;

import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import org.parley.server.storage.DocumentStore;

/**
 * Accounts an administrator disabled (XEP-0133 §4.3 disable-user): they cannot log in — SASL answers
 * {@code not-authorized} as for a wrong password — until re-enabled (§4.4). Kept in memory for the login path and
 * stored as one document of the server's own (user name "", which no account can have) so it survives restarts.
 */
public final class DisabledAccounts {

    static final String KEY = AdminCommands.PARLEY + " disabled";

    private final DocumentStore documents;
    private final Set<String> disabled = ConcurrentHashMap.newKeySet();

    public DisabledAccounts(DocumentStore documents) {
        this.documents = documents;
        reload();
    }

    /** Reads the list again (another node of a cluster changed it, issue 19). */
    public synchronized void reload() {
        Set<String> stored = new java.util.HashSet<>();
        documents.get("", KEY).ifPresent(text -> {
            for (String line : text.split("\n")) {
                if (!line.isBlank()) {
                    stored.add(line.strip());
                }
            }
        });
        disabled.addAll(stored);
        disabled.retainAll(stored);
    }

    /** Whether {@code username} (the local part) is disabled. */
    public boolean isDisabled(String username) {
        return username != null && !disabled.isEmpty() && disabled.contains(username.toLowerCase(Locale.ROOT));
    }

    /** Disables or re-enables; returns whether anything changed. */
    public synchronized boolean set(String username, boolean off) {
        String u = username.toLowerCase(Locale.ROOT);
        boolean changed = off ? disabled.add(u) : disabled.remove(u);
        if (changed) {
            documents.put("", KEY, String.join("\n", new TreeSet<>(disabled)));
        }
        return changed;
    }

    /** A deleted account is forgotten, so a new account of the same name starts enabled. */
    public void forget(String username) {
        set(username, false);
    }
}
