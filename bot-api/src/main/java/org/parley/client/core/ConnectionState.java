package org.parley.client.core;

/** What a {@link ParleyClient}'s connection is doing, for a status line in a UI or a bot's log. */
public enum ConnectionState {
    /** Not connected, and not trying to (initial state, after {@code logout}, or after a failed login). */
    DISCONNECTED,
    /** Connecting and logging in. */
    CONNECTING,
    /** Logged in; everything works. */
    ONLINE,
    /** The connection dropped; Smack's ReconnectionManager is trying again. */
    RECONNECTING
}
