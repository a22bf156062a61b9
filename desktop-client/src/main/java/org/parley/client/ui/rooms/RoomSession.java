package org.parley.client.ui.rooms;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import org.parley.client.core.Occupant;
import org.parley.client.core.Room;

/** One joined room as shown in a tab: transcript, occupants with their roles, subject, unread count. */
public final class RoomSession {

    /** XEP-0045 §5.1: moderators first, then participants, then visitors. */
    private static final Map<String, Integer> ROLE_ORDER = Map.of("moderator", 0, "participant", 1, "visitor", 2);

    private final Room room;
    private final List<RoomLine> lines = new ArrayList<>();
    private List<Occupant> occupants = List.of();
    private String subject;
    private int unread;

    RoomSession(Room room) {
        this.room = room;
        this.subject = room.subject();
    }

    public Room room() {
        return room;
    }

    public String jid() {
        return room.jid();
    }

    /** The local part of the room's address, for a tab title. */
    public String name() {
        String jid = room.jid();
        int at = jid.indexOf('@');
        return at < 0 ? jid : jid.substring(0, at);
    }

    public String nickname() {
        return room.nickname();
    }

    public List<RoomLine> lines() {
        return List.copyOf(lines);
    }

    /** Occupants, moderators first, then by nickname. */
    public List<Occupant> occupants() {
        return occupants;
    }

    public String subject() {
        return subject;
    }

    public int unread() {
        return unread;
    }

    void add(RoomLine line) {
        lines.add(line);
    }

    /** Applies a reaction to the line with that id; false when no shown line has it. */
    boolean react(String nick, String messageId, java.util.Set<String> emojis) {
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (messageId.equals(lines.get(i).id())) {
                lines.set(i, lines.get(i).withReactions(nick, emojis));
                return true;
            }
        }
        return false;
    }

    /**
     * Applies a correction by {@code nick}: to their line with that id, else (the corrected message's own id is
     * not the room's stanza-id that lines carry) to their last message, which is what XEP-0308 corrects.
     */
    boolean correct(String nick, String replacedId, String text) {
        int last = -1;
        for (int i = lines.size() - 1; i >= 0; i--) {
            RoomLine line = lines.get(i);
            if (!line.notice() && nick.equals(line.from())) {
                if (replacedId.equals(line.id())) {
                    last = i;
                    break;
                }
                if (last < 0) {
                    last = i;
                }
            }
        }
        if (last < 0) {
            return false;
        }
        lines.set(last, lines.get(last).corrected(text));
        return true;
    }

    void replace(List<RoomLine> all) {
        lines.clear();
        lines.addAll(all);
    }

    void subject(String subject) {
        this.subject = subject == null || subject.isEmpty() ? null : subject;
    }

    void unread(int count) {
        unread = count;
    }

    void refreshOccupants() {
        occupants = room.occupants().stream()
                .sorted(Comparator.comparing((Occupant o) -> ROLE_ORDER.getOrDefault(o.role(), 3))
                        .thenComparing(Occupant::nick, String.CASE_INSENSITIVE_ORDER))
                .toList();
    }
}
