package org.parley.client.core;

/** A room listed by the MUC service (disco#items). */
public record PublicRoom(String jid, String name) {
}
