package org.parley.client.core;

/** A room invitation (XEP-0045 mediated invitation). {@code reason} and {@code password} may be null. */
public record Invitation(String room, String inviter, String reason, String password) {
}
