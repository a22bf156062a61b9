package org.parley.server.storage.jdbc;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Optional;

import org.parley.server.storage.DocumentStore;

/** Per-user XML documents (vCard, private XML) in {@code documents}, keyed by username and document key. */
final class JdbcDocumentStore implements DocumentStore {

    private final Transactions db;

    JdbcDocumentStore(Transactions db) {
        this.db = db;
    }

    @Override
    public Optional<String> get(String username, String key) {
        return db.read(c -> {
            try (PreparedStatement select = Sql.prepare(c,
                    "SELECT xml FROM documents WHERE username = ? AND doc_key = ?", username, key);
                 ResultSet rs = select.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        });
    }

    /** Update, else insert: portable without MERGE; a concurrent first insert is retried as an update. */
    @Override
    public void put(String username, String key, String xml) {
        db.run(c -> {
            if (Sql.update(c, "UPDATE documents SET xml = ? WHERE username = ? AND doc_key = ?", xml, username, key)
                    == 0) {
                Sql.update(c, "INSERT INTO documents (username, doc_key, xml) VALUES (?, ?, ?)", username, key, xml);
            }
            return null;
        });
    }

    @Override
    public int count(String username, String marker) {
        return db.read(c -> {
            try (PreparedStatement select = Sql.prepare(c,
                    "SELECT COUNT(*) FROM documents WHERE username = ? AND doc_key LIKE ? ESCAPE '!'", username,
                    "%" + marker.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%");
                 ResultSet rs = select.executeQuery()) {
                return rs.next() ? rs.getInt(1) : 0;
            }
        });
    }

    @Override
    public boolean delete(String username, String key) {
        return db.run(c -> Sql.update(c, "DELETE FROM documents WHERE username = ? AND doc_key = ?", username, key)
                > 0);
    }
}
