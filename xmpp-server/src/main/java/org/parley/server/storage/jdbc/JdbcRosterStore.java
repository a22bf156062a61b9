package org.parley.server.storage.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.parley.server.storage.RosterEntry;
import org.parley.server.storage.RosterStore;

/**
 * Rosters in {@code roster_items} and {@code roster_groups}, with the RFC 6121 §2.6 version in
 * {@code roster_versions}. Every change first bumps the user's version row, which also locks it, so
 * concurrent changes to one roster are serialised and each gets its own version.
 */
final class JdbcRosterStore implements RosterStore {

    private static final String SELECT_ITEMS = "SELECT i.contact, i.name, i.subscription, i.ask_out, i.pending_in,"
            + " i.approved, g.group_name, i.listed FROM roster_items i LEFT JOIN roster_groups g"
            + " ON g.username = i.username AND g.contact = i.contact WHERE i.username = ?";
    private static final String ORDER = " ORDER BY i.contact, g.pos";

    private final Transactions db;

    JdbcRosterStore(Transactions db) {
        this.db = db;
    }

    @Override
    public List<RosterEntry> roster(String username) {
        return db.read(c -> read(c, SELECT_ITEMS + ORDER, username));
    }

    @Override
    public Optional<RosterEntry> entry(String username, String contact) {
        return db.read(c -> read(c, SELECT_ITEMS + " AND i.contact = ?" + ORDER, username, contact))
                .stream().findFirst();
    }

    /** Reads items joined with their groups in one statement, so an item and its groups are consistent. */
    private static List<RosterEntry> read(Connection c, String sql, Object... parameters) throws SQLException {
        List<RosterEntry> entries = new ArrayList<>();
        try (PreparedStatement select = Sql.prepare(c, sql, parameters);
             ResultSet rs = select.executeQuery()) {
            String contact = null;
            RosterEntry item = null;
            List<String> groups = new ArrayList<>();
            while (rs.next()) {
                if (!rs.getString(1).equals(contact)) {
                    if (item != null) {
                        entries.add(withGroups(item, groups));
                    }
                    contact = rs.getString(1);
                    item = new RosterEntry(contact, rs.getString(2), rs.getString(3), rs.getBoolean(4),
                            rs.getBoolean(5), rs.getBoolean(6), List.of(), rs.getBoolean(8));
                    groups = new ArrayList<>();
                }
                String group = rs.getString(7);
                if (group != null) {
                    groups.add(group);
                }
            }
            if (item != null) {
                entries.add(withGroups(item, groups));
            }
        }
        return entries;
    }

    private static RosterEntry withGroups(RosterEntry e, List<String> groups) {
        return new RosterEntry(e.contact(), e.name(), e.subscription(), e.askOut(), e.pendingIn(), e.approved(),
                groups, e.listed());
    }

    @Override
    public long put(String username, RosterEntry entry) {
        return db.run(c -> {
            long version = bumpVersion(c, username);
            Sql.update(c, "DELETE FROM roster_items WHERE username = ? AND contact = ?", username, entry.contact());
            Sql.update(c, "INSERT INTO roster_items (username, contact, name, subscription, ask_out, pending_in,"
                            + " approved, listed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", username, entry.contact(),
                    entry.name(), entry.subscription(), entry.askOut(), entry.pendingIn(), entry.approved(),
                    entry.listed());
            try (PreparedStatement insert = c.prepareStatement(
                    "INSERT INTO roster_groups (username, contact, pos, group_name) VALUES (?, ?, ?, ?)")) {
                List<String> groups = entry.groups();
                for (int i = 0; i < groups.size(); i++) {
                    insert.setString(1, username);
                    insert.setString(2, entry.contact());
                    insert.setInt(3, i);
                    insert.setString(4, groups.get(i));
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            return version;
        });
    }

    @Override
    public Optional<Long> remove(String username, String contact) {
        return db.run(c -> {
            long version = bumpVersion(c, username);
            if (Sql.update(c, "DELETE FROM roster_items WHERE username = ? AND contact = ?", username, contact) == 0) {
                c.rollback();
                return Optional.empty();
            }
            return Optional.of(version);
        });
    }

    @Override
    public long version(String username) {
        return db.read(c -> Sql.number(c, 0, "SELECT version FROM roster_versions WHERE username = ?", username));
    }

    /**
     * Increments and returns the user's version, creating the row at 1. Two first changes racing to insert
     * it end in a duplicate key, which {@link Transactions} retries.
     */
    private static long bumpVersion(Connection c, String username) throws SQLException {
        if (Sql.update(c, "UPDATE roster_versions SET version = version + 1 WHERE username = ?", username) == 0) {
            Sql.update(c, "INSERT INTO roster_versions (username, version) VALUES (?, 1)", username);
            return 1;
        }
        return Sql.number(c, 0, "SELECT version FROM roster_versions WHERE username = ?", username);
    }
}
