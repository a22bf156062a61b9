package org.parley.client.core;

/**
 * A bookmarked room of the account (XEP-0402, or XEP-0048 on servers without it): shared by every client of the
 * account, so a room bookmarked in the browser is joined by the desktop client too.
 *
 * @param jid      the room's address, e.g. {@code lobby@conference.example.org}
 * @param name     a display name, or null
 * @param autojoin whether clients enter the room at login
 * @param nick     the nickname to use there, or null for the client's default
 * @param password the room password, or null
 */
public record Bookmark(String jid, String name, boolean autojoin, String nick, String password) {

    /** The display name, or the room's local part when it has none. */
    public String displayName() {
        if (name != null && !name.isBlank()) {
            return name;
        }
        int at = jid.indexOf('@');
        return at > 0 ? jid.substring(0, at) : jid;
    }
}
