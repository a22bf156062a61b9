package org.parley.app;

import java.io.BufferedReader;
import java.io.Reader;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import org.parley.server.accounts.AccountException;
import org.parley.server.config.ServerSettings;

/** In-memory {@link AccountAdmin} failing like AccountService; import reads {@code name:password} lines. */
final class FakeAccounts implements AccountAdmin, AccountAdmin.Opener {

    final Map<String, String> passwords = new TreeMap<>();
    ServerSettings openedWith;
    int opened;
    int closed;

    @Override
    public AccountAdmin open(ServerSettings settings) {
        openedWith = settings;
        opened++;
        return this;
    }

    @Override
    public String create(String username, String password) {
        String user = username.toLowerCase(Locale.ROOT);
        if (passwords.putIfAbsent(user, password) != null) {
            throw new AccountException("username '" + user + "' is taken");
        }
        return user;
    }

    @Override
    public void setPassword(String username, String password) {
        if (passwords.replace(username, password) == null) {
            throw new AccountException("no account '" + username + "'");
        }
    }

    @Override
    public void delete(String username) {
        if (passwords.remove(username) == null) {
            throw new AccountException("no account '" + username + "'");
        }
    }

    @Override
    public List<String> list() {
        return List.copyOf(passwords.keySet());
    }

    @Override
    public ImportSummary importAccounts(Reader reader, java.util.function.BiConsumer<Integer, Integer> progress) {
        int created = 0;
        int skipped = 0;
        List<Integer> invalid = new ArrayList<>();
        List<String> lines = new BufferedReader(reader).lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String[] parts = lines.get(i).split(":", 2);
            if (parts.length != 2 || parts[0].isBlank()) {
                invalid.add(i + 1);
            } else if (passwords.putIfAbsent(parts[0], parts[1]) == null) {
                created++;
            } else {
                skipped++;
            }
        }
        return new ImportSummary(created, skipped, invalid);
    }

    @Override
    public void close() {
        closed++;
    }
}
