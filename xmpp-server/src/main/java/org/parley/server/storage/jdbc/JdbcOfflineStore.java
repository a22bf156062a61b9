package org.parley.server.storage.jdbc;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.parley.server.storage.OfflineStore;

/**
 * Offline messages in {@code offline_messages}, ordered by their identity key. Draining deletes row by row
 * and returns only the rows its own deletes removed: when two drains race, a row goes to the one whose
 * delete took it, so nothing is delivered twice or lost, on any database with row locks.
 */
final class JdbcOfflineStore implements OfflineStore {

    private final Transactions db;

    JdbcOfflineStore(Transactions db) {
        this.db = db;
    }

    /** Locks the account row first, so concurrent stores for one user count one after the other. */
    @Override
    public boolean store(String username, String stanzaXml, int maxPerUser) {
        return db.run(c -> {
            Sql.exists(c, "SELECT username FROM accounts WHERE username = ?" + db.dialect().forUpdate(), username);
            if (Sql.number(c, 0, "SELECT COUNT(*) FROM offline_messages WHERE username = ?", username)
                    >= maxPerUser) {
                return false;
            }
            Sql.update(c, "INSERT INTO offline_messages (username, stanza) VALUES (?, ?)", username, stanzaXml);
            return true;
        });
    }

    @Override
    public List<String> drain(String username) {
        // Nearly every login finds nothing stored: look first in a read transaction, which on SQLite (WAL) runs
        // beside the writers, instead of taking the database's single write lock for every login. A message
        // stored after this look is the same as one stored after a drain that found nothing; a store still
        // uncommitted at the look is not waited for (as PostgreSQL's drain never did): it waits for the next login.
        if (!db.read(c -> Sql.exists(c, "SELECT id FROM offline_messages WHERE username = ?", username))) {
            return List.of();
        }
        return db.run(c -> {
            Map<Long, String> stored = new LinkedHashMap<>();
            try (PreparedStatement select = Sql.prepare(c,
                    "SELECT id, stanza FROM offline_messages WHERE username = ? ORDER BY id", username);
                 ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    stored.put(rs.getLong(1), rs.getString(2));
                }
            }
            if (stored.isEmpty()) {
                return List.of();
            }
            List<String> drained = new ArrayList<>(stored.size());
            try (PreparedStatement delete = c.prepareStatement("DELETE FROM offline_messages WHERE id = ?")) {
                for (long id : stored.keySet()) {
                    delete.setLong(1, id);
                    delete.addBatch();
                }
                int[] deleted = delete.executeBatch();
                int i = 0;
                for (String stanza : stored.values()) {
                    if (deleted[i++] == 1) {
                        drained.add(stanza);
                    }
                }
            }
            return drained;
        });
    }

    @Override
    public long countAll() {
        return db.read(c -> Sql.number(c, 0, "SELECT COUNT(*) FROM offline_messages"));
    }

    @Override
    public int count(String username) {
        return db.read(c -> (int) Sql.number(c, 0, "SELECT COUNT(*) FROM offline_messages WHERE username = ?",
                username));
    }
}
