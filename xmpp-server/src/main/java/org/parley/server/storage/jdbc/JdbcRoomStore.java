package org.parley.server.storage.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.parley.server.storage.RoomStore;

/** Rooms in {@code muc_rooms}, their options in {@code muc_room_settings}, affiliations in {@code muc_affiliations}. */
final class JdbcRoomStore implements RoomStore {

    private final Transactions db;

    JdbcRoomStore(Transactions db) {
        this.db = db;
    }

    @Override
    public List<StoredRoom> loadAll() {
        return db.read(c -> {
            Map<String, String[]> rooms = new LinkedHashMap<>();
            try (PreparedStatement select = Sql.prepare(c, "SELECT room, subject, subject_by FROM muc_rooms ORDER BY room");
                 ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    rooms.put(rs.getString(1), new String[] {rs.getString(2), rs.getString(3)});
                }
            }
            Map<String, Map<String, String>> settings = pairs(c,
                    "SELECT room, setting, setting_value FROM muc_room_settings");
            Map<String, Map<String, String>> affiliations = pairs(c,
                    "SELECT room, jid, affiliation FROM muc_affiliations");
            List<StoredRoom> result = new ArrayList<>();
            rooms.forEach((room, subject) -> result.add(new StoredRoom(room,
                    settings.getOrDefault(room, Map.of()), subject[0], subject[1],
                    affiliations.getOrDefault(room, Map.of()))));
            return result;
        });
    }

    private static Map<String, Map<String, String>> pairs(Connection c, String sql) throws SQLException {
        Map<String, Map<String, String>> byRoom = new TreeMap<>();
        try (PreparedStatement select = Sql.prepare(c, sql); ResultSet rs = select.executeQuery()) {
            while (rs.next()) {
                byRoom.computeIfAbsent(rs.getString(1), k -> new TreeMap<>()).put(rs.getString(2), rs.getString(3));
            }
        }
        return byRoom;
    }

    @Override
    public void save(StoredRoom room) {
        db.run(c -> {
            if (Sql.update(c, "UPDATE muc_rooms SET subject = ?, subject_by = ? WHERE room = ?",
                    room.subject(), room.subjectBy(), room.room()) == 0) {
                Sql.update(c, "INSERT INTO muc_rooms (room, subject, subject_by) VALUES (?, ?, ?)",
                        room.room(), room.subject(), room.subjectBy());
            }
            Sql.update(c, "DELETE FROM muc_room_settings WHERE room = ?", room.room());
            try (PreparedStatement insert = c.prepareStatement(
                    "INSERT INTO muc_room_settings (room, setting, setting_value) VALUES (?, ?, ?)")) {
                for (Map.Entry<String, String> e : room.settings().entrySet()) {
                    insert.setString(1, room.room());
                    insert.setString(2, e.getKey());
                    insert.setString(3, e.getValue());
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            Sql.update(c, "DELETE FROM muc_affiliations WHERE room = ?", room.room());
            try (PreparedStatement insert = c.prepareStatement(
                    "INSERT INTO muc_affiliations (room, jid, affiliation) VALUES (?, ?, ?)")) {
                for (Map.Entry<String, String> e : room.affiliations().entrySet()) {
                    insert.setString(1, room.room());
                    insert.setString(2, e.getKey());
                    insert.setString(3, e.getValue());
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            return null;
        });
    }

    @Override
    public boolean delete(String room) {
        return db.run(c -> Sql.update(c, "DELETE FROM muc_rooms WHERE room = ?", room) > 0);
    }
}
