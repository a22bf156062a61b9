package org.parley.server.muc;

import java.util.Locale;

/** A long-lived relation between a user (bare JID) and a room, XEP-0045 §5.2; declared from most to least privileged. */
public enum Affiliation {
    OWNER, ADMIN, MEMBER, NONE, OUTCAST;

    /** The attribute value, e.g. {@code owner}. */
    public String xml() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Null when {@code value} is not an affiliation. */
    public static Affiliation parse(String value) {
        if (value == null) {
            return null;
        }
        for (Affiliation a : values()) {
            if (a.xml().equals(value)) {
                return a;
            }
        }
        return null;
    }

    /** Owner or admin: the affiliations a moderator may not kick or silence (XEP-0045 §8.2, §8.4). */
    public boolean isAdminOrOwner() {
        return this == OWNER || this == ADMIN;
    }

    /** True when this affiliation ranks above {@code other} (outcast lowest). */
    public boolean outranks(Affiliation other) {
        return ordinal() < other.ordinal();
    }
}
