package org.parley.server.accounts;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

import org.parley.server.sasl.ScramCredential;
import org.parley.server.sasl.ScramHash;
import org.parley.server.storage.AccountStore;

/** A map-backed {@link AccountStore} for tests. */
final class MemoryAccountStore implements AccountStore {

    private final Map<String, Map<ScramHash, ScramCredential>> accounts = new ConcurrentSkipListMap<>();

    @Override
    public boolean create(String username, Map<ScramHash, ScramCredential> credentials) {
        return accounts.putIfAbsent(username, Map.copyOf(credentials)) == null;
    }

    @Override
    public int createAll(Map<String, Map<ScramHash, ScramCredential>> batch) {
        int created = 0;
        for (Map.Entry<String, Map<ScramHash, ScramCredential>> e : batch.entrySet()) {
            created += create(e.getKey(), e.getValue()) ? 1 : 0;
        }
        return created;
    }

    @Override
    public Optional<Map<ScramHash, ScramCredential>> credentials(String username) {
        return Optional.ofNullable(accounts.get(username));
    }

    @Override
    public boolean updateCredentials(String username, Map<ScramHash, ScramCredential> credentials) {
        return accounts.replace(username, Map.copyOf(credentials)) != null;
    }

    @Override
    public boolean exists(String username) {
        return accounts.containsKey(username);
    }

    @Override
    public boolean delete(String username) {
        return accounts.remove(username) != null;
    }

    @Override
    public List<String> list() {
        return new ArrayList<>(accounts.keySet());
    }

    @Override
    public long count() {
        return accounts.size();
    }
}
