package org.parley.server.muc;

import java.util.Locale;

/** A temporary relation between an occupant and a room, lasting one visit (XEP-0045 §5.1). */
public enum Role {
    MODERATOR, PARTICIPANT, VISITOR, NONE;

    /** The attribute value, e.g. {@code moderator}. */
    public String xml() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Null when {@code value} is not a role. */
    public static Role parse(String value) {
        if (value == null) {
            return null;
        }
        for (Role r : values()) {
            if (r.xml().equals(value)) {
                return r;
            }
        }
        return null;
    }

    /** Participants and moderators have voice: they may send messages to all occupants (§5.1.1). */
    public boolean hasVoice() {
        return this == MODERATOR || this == PARTICIPANT;
    }
}
