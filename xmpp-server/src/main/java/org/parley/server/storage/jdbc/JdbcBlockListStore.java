package org.parley.server.storage.jdbc;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

import org.parley.server.storage.BlockListStore;

/** Block lists in {@code blocklist_items}. Inserts are check-first so a repeated block is harmless. */
final class JdbcBlockListStore implements BlockListStore {

    private final Transactions db;

    JdbcBlockListStore(Transactions db) {
        this.db = db;
    }

    @Override
    public Set<String> blocked(String username) {
        return db.run(c -> {
            Set<String> jids = new HashSet<>();
            try (PreparedStatement select = Sql.prepare(c, "SELECT jid FROM blocklist_items WHERE username = ?",
                    username);
                 ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    jids.add(rs.getString(1));
                }
            }
            return jids;
        });
    }

    @Override
    public void add(String username, Collection<String> jids) {
        db.run(c -> {
            for (String jid : jids) {
                if (!Sql.exists(c, "SELECT jid FROM blocklist_items WHERE username = ? AND jid = ?", username, jid)) {
                    Sql.update(c, "INSERT INTO blocklist_items (username, jid) VALUES (?, ?)", username, jid);
                }
            }
            return null;
        });
    }

    @Override
    public void remove(String username, Collection<String> jids) {
        db.run(c -> {
            for (String jid : jids) {
                Sql.update(c, "DELETE FROM blocklist_items WHERE username = ? AND jid = ?", username, jid);
            }
            return null;
        });
    }

    @Override
    public void clear(String username) {
        db.run(c -> Sql.update(c, "DELETE FROM blocklist_items WHERE username = ?", username));
    }
}
