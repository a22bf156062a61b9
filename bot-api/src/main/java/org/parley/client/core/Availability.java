package org.parley.client.core;

import org.jivesoftware.smack.packet.Presence;

/** A contact's (or one's own) presence, simplified for display. */
public enum Availability {
    OFFLINE, AVAILABLE, CHAT, AWAY, EXTENDED_AWAY, DO_NOT_DISTURB;

    static Availability of(Presence presence) {
        if (presence == null || presence.getType() != Presence.Type.available) {
            return OFFLINE;
        }
        return switch (presence.getMode()) {
            case chat -> CHAT;
            case away -> AWAY;
            case xa -> EXTENDED_AWAY;
            case dnd -> DO_NOT_DISTURB;
            default -> AVAILABLE;
        };
    }

    Presence.Mode mode() {
        return switch (this) {
            case CHAT -> Presence.Mode.chat;
            case AWAY -> Presence.Mode.away;
            case EXTENDED_AWAY -> Presence.Mode.xa;
            case DO_NOT_DISTURB -> Presence.Mode.dnd;
            default -> Presence.Mode.available;
        };
    }
}
