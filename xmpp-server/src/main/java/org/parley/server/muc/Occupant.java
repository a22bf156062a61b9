package org.parley.server.muc;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xmpp.addressing.Entity;

/**
 * One nickname in a room. A user may be in the room with several of its resources under the same
 * nickname (XEP-0045 §7.2.7 allows this "multi-session" nick): they share the occupant, its role and its
 * presence; each session receives everything the room sends to the occupant. Guarded by its room.
 */
final class Occupant {

    private final Entity user;
    private String nick;
    private Role role;
    /** Session full JID → the presence payload that session last sent, most recently updated last. */
    private final LinkedHashMap<Entity, List<XMLElement>> sessions = new LinkedHashMap<>();

    Occupant(String nick, Entity user, Role role) {
        this.nick = nick;
        this.user = user.getBareJID();
        this.role = role;
    }

    String nick() {
        return nick;
    }

    void nick(String newNick) {
        this.nick = newNick;
    }

    /** The occupant's bare JID. */
    Entity user() {
        return user;
    }

    Role role() {
        return role;
    }

    void role(Role newRole) {
        this.role = newRole;
    }

    List<Entity> sessions() {
        return new ArrayList<>(sessions.keySet());
    }

    /** The session that last changed presence: the address shown as the occupant's real JID. */
    Entity primarySession() {
        Entity last = null;
        for (Entity e : sessions.keySet()) {
            last = e;
        }
        return last;
    }

    void presence(Entity session, List<XMLElement> payload) {
        sessions.remove(session);
        sessions.put(session, List.copyOf(payload));
    }

    /** The presence payload of the primary session. */
    List<XMLElement> presence() {
        Map.Entry<Entity, List<XMLElement>> last = null;
        for (Map.Entry<Entity, List<XMLElement>> e : sessions.entrySet()) {
            last = e;
        }
        return last == null ? List.of() : last.getValue();
    }

    /** Removes a session; true when it was the last one. */
    boolean removeSession(Entity session) {
        sessions.remove(session);
        return sessions.isEmpty();
    }
}
