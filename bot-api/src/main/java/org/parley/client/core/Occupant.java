package org.parley.client.core;

/**
 * Someone in a room.
 *
 * @param nick nickname in the room
 * @param role {@code moderator}, {@code participant}, {@code visitor} (XEP-0045 roles)
 * @param affiliation {@code owner}, {@code admin}, {@code member}, {@code outcast} or {@code none}
 * @param jid real bare address when the room shows it to us, otherwise null
 */
public record Occupant(String nick, String role, String affiliation, String jid) {
}
