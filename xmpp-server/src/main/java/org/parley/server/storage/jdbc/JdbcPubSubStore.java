package org.parley.server.storage.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.parley.server.storage.PubSubStore;

/**
 * Nodes in {@code pubsub_nodes} with {@code pubsub_node_settings}, {@code pubsub_affiliations} and
 * {@code pubsub_subscriptions}; items in {@code pubsub_items}, ordered by {@code seq}.
 */
final class JdbcPubSubStore implements PubSubStore {

    private final Transactions db;

    JdbcPubSubStore(Transactions db) {
        this.db = db;
    }

    @Override
    public List<StoredNode> nodes(String service) {
        return db.read(c -> {
            List<String> names = new ArrayList<>();
            try (PreparedStatement s = Sql.prepare(c, "SELECT node FROM pubsub_nodes WHERE service = ? ORDER BY node",
                    service); ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            }
            Map<String, Map<String, String>> settings = pairs(c,
                    "SELECT node, setting, setting_value FROM pubsub_node_settings WHERE service = ?", service);
            Map<String, Map<String, String>> affiliations = pairs(c,
                    "SELECT node, jid, affiliation FROM pubsub_affiliations WHERE service = ?", service);
            Map<String, Map<String, String>> subscriptions = pairs(c,
                    "SELECT node, jid, jid FROM pubsub_subscriptions WHERE service = ?", service);
            List<StoredNode> result = new ArrayList<>();
            for (String node : names) {
                result.add(new StoredNode(service, node, settings.getOrDefault(node, Map.of()),
                        affiliations.getOrDefault(node, Map.of()),
                        new TreeSet<>(subscriptions.getOrDefault(node, Map.of()).keySet())));
            }
            return result;
        });
    }

    @Override
    public Optional<StoredNode> node(String service, String node) {
        return nodes(service).stream().filter(n -> n.node().equals(node)).findFirst();
    }

    private static Map<String, Map<String, String>> pairs(Connection c, String sql, String service) throws SQLException {
        Map<String, Map<String, String>> byNode = new TreeMap<>();
        try (PreparedStatement s = Sql.prepare(c, sql, service); ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                byNode.computeIfAbsent(rs.getString(1), k -> new TreeMap<>()).put(rs.getString(2), rs.getString(3));
            }
        }
        return byNode;
    }

    @Override
    public void saveNode(StoredNode node) {
        db.run(c -> {
            String service = node.service();
            String name = node.node();
            if (!Sql.exists(c, "SELECT 1 FROM pubsub_nodes WHERE service = ? AND node = ?", service, name)) {
                Sql.update(c, "INSERT INTO pubsub_nodes (service, node) VALUES (?, ?)", service, name);
            }
            Sql.update(c, "DELETE FROM pubsub_node_settings WHERE service = ? AND node = ?", service, name);
            batch(c, "INSERT INTO pubsub_node_settings (service, node, setting, setting_value) VALUES (?, ?, ?, ?)",
                    service, name, node.settings());
            Sql.update(c, "DELETE FROM pubsub_affiliations WHERE service = ? AND node = ?", service, name);
            batch(c, "INSERT INTO pubsub_affiliations (service, node, jid, affiliation) VALUES (?, ?, ?, ?)",
                    service, name, node.affiliations());
            Sql.update(c, "DELETE FROM pubsub_subscriptions WHERE service = ? AND node = ?", service, name);
            try (PreparedStatement insert = c.prepareStatement(
                    "INSERT INTO pubsub_subscriptions (service, node, jid) VALUES (?, ?, ?)")) {
                for (String jid : node.subscriptions()) {
                    insert.setString(1, service);
                    insert.setString(2, name);
                    insert.setString(3, jid);
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            return null;
        });
    }

    private static void batch(Connection c, String sql, String service, String node, Map<String, String> pairs)
            throws SQLException {
        try (PreparedStatement insert = c.prepareStatement(sql)) {
            for (Map.Entry<String, String> e : pairs.entrySet()) {
                insert.setString(1, service);
                insert.setString(2, node);
                insert.setString(3, e.getKey());
                insert.setString(4, e.getValue());
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    @Override
    public boolean deleteNode(String service, String node) {
        return db.run(c -> Sql.update(c, "DELETE FROM pubsub_nodes WHERE service = ? AND node = ?", service, node) > 0);
    }

    @Override
    public void publish(String service, String node, StoredItem item, int maxItems) {
        db.run(c -> {
            Sql.update(c, "DELETE FROM pubsub_items WHERE service = ? AND node = ? AND item_id = ?",
                    service, node, item.id());
            Sql.update(c, "INSERT INTO pubsub_items (service, node, item_id, publisher, payload) VALUES (?, ?, ?, ?, ?)",
                    service, node, item.id(), item.publisher(), item.payload());
            trim(c, service, node, maxItems);
            return null;
        });
    }

    private static void trim(Connection c, String service, String node, int maxItems) throws SQLException {
        List<Long> seqs = new ArrayList<>();
        try (PreparedStatement s = Sql.prepare(c,
                "SELECT seq FROM pubsub_items WHERE service = ? AND node = ? ORDER BY seq DESC", service, node);
             ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                seqs.add(rs.getLong(1));
            }
        }
        for (int i = Math.max(0, maxItems); i < seqs.size(); i++) {
            Sql.update(c, "DELETE FROM pubsub_items WHERE seq = ?", seqs.get(i));
        }
    }

    @Override
    public boolean retract(String service, String node, String itemId) {
        return db.run(c -> Sql.update(c, "DELETE FROM pubsub_items WHERE service = ? AND node = ? AND item_id = ?",
                service, node, itemId) > 0);
    }

    @Override
    public void purge(String service, String node) {
        db.run(c -> Sql.update(c, "DELETE FROM pubsub_items WHERE service = ? AND node = ?", service, node));
    }

    @Override
    public void trim(String service, String node, int maxItems) {
        db.run(c -> {
            trim(c, service, node, maxItems);
            return null;
        });
    }

    @Override
    public Map<String, Integer> itemCounts(String service) {
        return db.read(c -> {
            Map<String, Integer> counts = new TreeMap<>();
            try (PreparedStatement s = Sql.prepare(c,
                    "SELECT node, COUNT(*) FROM pubsub_items WHERE service = ? GROUP BY node", service);
                 ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    counts.put(rs.getString(1), rs.getInt(2));
                }
            }
            return counts;
        });
    }

    @Override
    public List<StoredItem> items(String service, String node, int max) {
        return db.read(c -> {
            List<StoredItem> items = new ArrayList<>();
            try (PreparedStatement s = Sql.prepare(c, "SELECT item_id, publisher, payload FROM pubsub_items "
                    + "WHERE service = ? AND node = ? ORDER BY seq DESC", service, node)) {
                s.setMaxRows(Math.max(0, max));
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        items.add(new StoredItem(rs.getString(1), rs.getString(2), rs.getString(3)));
                    }
                }
            }
            return items;
        });
    }

    @Override
    public List<StoredItem> items(String service, String node, Set<String> ids) {
        Set<String> wanted = new LinkedHashSet<>(ids);
        return items(service, node, Integer.MAX_VALUE).stream().filter(i -> wanted.contains(i.id())).toList();
    }
}
