package org.parley.server.storage.jdbc;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;

import org.parley.server.storage.PushStore;

/** Push registrations in {@code push_registrations}. */
final class JdbcPushStore implements PushStore {

    private final Transactions db;

    JdbcPushStore(Transactions db) {
        this.db = db;
    }

    @Override
    public List<Registration> registrations(String username) {
        return db.run(c -> {
            List<Registration> result = new ArrayList<>();
            try (PreparedStatement select = Sql.prepare(c, "SELECT service_jid, node, options FROM push_registrations"
                    + " WHERE username = ? ORDER BY service_jid, node", username);
                 ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    result.add(new Registration(rs.getString(1), rs.getString(2), rs.getString(3)));
                }
            }
            return result;
        });
    }

    /** Update, else insert (portable without MERGE); a concurrent first insert is retried as an update. */
    @Override
    public void put(String username, Registration r) {
        db.run(c -> {
            if (Sql.update(c, "UPDATE push_registrations SET options = ? WHERE username = ? AND service_jid = ?"
                    + " AND node = ?", r.options(), username, r.service(), r.node()) == 0) {
                Sql.update(c, "INSERT INTO push_registrations (username, service_jid, node, options) VALUES (?, ?, ?, ?)",
                        username, r.service(), r.node(), r.options());
            }
            return null;
        });
    }

    @Override
    public int remove(String username, String service, String node) {
        return db.run(c -> node == null
                ? Sql.update(c, "DELETE FROM push_registrations WHERE username = ? AND service_jid = ?", username, service)
                : Sql.update(c, "DELETE FROM push_registrations WHERE username = ? AND service_jid = ? AND node = ?",
                        username, service, node));
    }
}
