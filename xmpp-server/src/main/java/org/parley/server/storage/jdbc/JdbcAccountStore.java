package org.parley.server.storage.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.parley.server.sasl.ScramCredential;
import org.parley.server.sasl.ScramHash;
import org.parley.server.storage.AccountStore;

/**
 * Accounts in {@code accounts}, their SCRAM verifiers in {@code account_credentials} (Base64 text, which
 * every database stores alike). Deleting an account also deletes the rows of the other stores.
 */
final class JdbcAccountStore implements AccountStore {

    /** Rows per JDBC batch, and names per {@code IN} list when checking which accounts exist. */
    private static final int CHUNK = 500;

    private static final String INSERT_ACCOUNT = "INSERT INTO accounts (username) VALUES (?)";
    private static final String INSERT_CREDENTIAL = "INSERT INTO account_credentials"
            + " (username, mechanism, salt, iterations, stored_key, server_key) VALUES (?, ?, ?, ?, ?, ?)";

    private final Transactions db;

    JdbcAccountStore(Transactions db) {
        this.db = db;
    }

    @Override
    public boolean create(String username, Map<ScramHash, ScramCredential> credentials) {
        return createAll(Map.of(username, credentials)) == 1;
    }

    @Override
    public int createAll(Map<String, Map<ScramHash, ScramCredential>> accounts) {
        if (accounts.isEmpty()) {
            return 0;
        }
        return db.run(c -> {
            Set<String> existing = existing(c, accounts.keySet());
            int created = 0;
            try (PreparedStatement account = c.prepareStatement(INSERT_ACCOUNT);
                 PreparedStatement credential = c.prepareStatement(INSERT_CREDENTIAL)) {
                for (Map.Entry<String, Map<ScramHash, ScramCredential>> entry : accounts.entrySet()) {
                    if (existing.contains(entry.getKey())) {
                        continue;
                    }
                    account.setString(1, entry.getKey());
                    account.addBatch();
                    addCredentials(credential, entry.getKey(), entry.getValue().values());
                    if (++created % CHUNK == 0) {
                        account.executeBatch();
                        credential.executeBatch();
                    }
                }
                account.executeBatch();
                credential.executeBatch();
            }
            return created;
        });
    }

    /** Which of the names already have an account, asked in chunks to keep the statements small. */
    private static Set<String> existing(Connection c, Collection<String> usernames) throws SQLException {
        Set<String> existing = new HashSet<>();
        List<String> names = new ArrayList<>(usernames);
        for (int from = 0; from < names.size(); from += CHUNK) {
            List<String> chunk = names.subList(from, Math.min(names.size(), from + CHUNK));
            String sql = "SELECT username FROM accounts WHERE username IN ("
                    + String.join(", ", Collections.nCopies(chunk.size(), "?")) + ")";
            try (PreparedStatement select = c.prepareStatement(sql)) {
                for (int i = 0; i < chunk.size(); i++) {
                    select.setString(i + 1, chunk.get(i));
                }
                try (ResultSet rs = select.executeQuery()) {
                    while (rs.next()) {
                        existing.add(rs.getString(1));
                    }
                }
            }
        }
        return existing;
    }

    private static void addCredentials(PreparedStatement insert, String username,
                                       Collection<ScramCredential> credentials) throws SQLException {
        Base64.Encoder base64 = Base64.getEncoder();
        for (ScramCredential credential : credentials) {
            insert.setString(1, username);
            insert.setString(2, credential.hash().mechanism());
            insert.setString(3, base64.encodeToString(credential.salt()));
            insert.setInt(4, credential.iterations());
            insert.setString(5, base64.encodeToString(credential.storedKey()));
            insert.setString(6, base64.encodeToString(credential.serverKey()));
            insert.addBatch();
        }
    }

    @Override
    public Optional<Map<ScramHash, ScramCredential>> credentials(String username) {
        return db.read(c -> {
            try (PreparedStatement select = c.prepareStatement(
                    "SELECT c.mechanism, c.salt, c.iterations, c.stored_key, c.server_key FROM accounts a"
                            + " LEFT JOIN account_credentials c ON c.username = a.username WHERE a.username = ?")) {
                select.setString(1, username);
                try (ResultSet rs = select.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    Map<ScramHash, ScramCredential> credentials = new EnumMap<>(ScramHash.class);
                    Base64.Decoder base64 = Base64.getDecoder();
                    do {
                        ScramHash hash = hash(rs.getString(1));
                        if (hash != null) {
                            credentials.put(hash, new ScramCredential(hash, base64.decode(rs.getString(2)),
                                    rs.getInt(3), base64.decode(rs.getString(4)), base64.decode(rs.getString(5))));
                        }
                    } while (rs.next());
                    return Optional.of(Collections.unmodifiableMap(credentials));
                }
            }
        });
    }

    /** The hash of a stored mechanism name; null for none (an account without verifiers) or an unknown one. */
    private static ScramHash hash(String mechanism) {
        for (ScramHash hash : ScramHash.values()) {
            if (hash.mechanism().equals(mechanism)) {
                return hash;
            }
        }
        return null;
    }

    @Override
    public boolean updateCredentials(String username, Map<ScramHash, ScramCredential> credentials) {
        return db.run(c -> {
            if (!Sql.exists(c, "SELECT username FROM accounts WHERE username = ?" + db.dialect().forUpdate(), username)) {
                return false;
            }
            Sql.update(c, "DELETE FROM account_credentials WHERE username = ?", username);
            try (PreparedStatement insert = c.prepareStatement(INSERT_CREDENTIAL)) {
                addCredentials(insert, username, credentials.values());
                insert.executeBatch();
            }
            return true;
        });
    }

    @Override
    public boolean exists(String username) {
        return db.read(c -> Sql.exists(c, "SELECT 1 FROM accounts WHERE username = ?", username));
    }

    /**
     * Deletes the account row first, so that operations locking it (offline store, credential update)
     * finish before, then everything else kept for the user, orphans included.
     */
    @Override
    public boolean delete(String username) {
        return db.run(c -> {
            boolean deleted = Sql.update(c, "DELETE FROM accounts WHERE username = ?", username) > 0;
            Sql.update(c, "DELETE FROM roster_versions WHERE username = ?", username);
            Sql.update(c, "DELETE FROM roster_items WHERE username = ?", username);
            Sql.update(c, "DELETE FROM offline_messages WHERE username = ?", username);
            Sql.update(c, "DELETE FROM documents WHERE username = ?", username);
            return deleted;
        });
    }

    /** Sorted here rather than by the database, whose collation differs between backends and locales. */
    @Override
    public List<String> list() {
        return db.read(c -> {
            List<String> usernames = new ArrayList<>();
            try (PreparedStatement select = c.prepareStatement("SELECT username FROM accounts");
                 ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    usernames.add(rs.getString(1));
                }
            }
            Collections.sort(usernames);
            return usernames;
        });
    }

    @Override
    public long count() {
        return db.read(c -> Sql.number(c, 0, "SELECT COUNT(*) FROM accounts"));
    }
}
