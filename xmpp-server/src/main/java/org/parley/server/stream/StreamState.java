package org.parley.server.stream;

import java.util.EnumSet;
import java.util.Set;

/**
 * Where one client-to-server stream stands in the negotiation of RFC 6120 (the way Smack models its
 * connection as a state graph): every first-level element is checked against the current state, and every
 * move goes through {@link #canMoveTo}, so the allowed transitions are in this one place.
 *
 * <pre>
 * CONNECTED ──header──▶ NEGOTIATING ──starttls──▶ TLS_RESTART ──header──▶ NEGOTIATING
 *                       NEGOTIATING ⇄ AUTHENTICATING (auth / challenge / failure / abort)
 *                       NEGOTIATING, AUTHENTICATING ──outcome held by the throttle──▶ AUTH_HELD
 *                       NEGOTIATING, AUTHENTICATING, AUTH_HELD ──success──▶ AUTH_RESTART ──header──▶ AUTHENTICATED
 *                       AUTHENTICATED ──bind or resume──▶ BOUND
 * any state ──close, error, lost connection, hand-over──▶ CLOSED
 * </pre>
 */
public enum StreamState {
    /** Accepted; the client's stream header comes first (RFC 6120 §4.2). */
    CONNECTED,
    /** Open and not authenticated: STARTTLS (§5), SASL (§6) and in-band registration (XEP-0077). */
    NEGOTIATING,
    /** {@code <proceed/>} went out; the encrypted stream's header comes next (§5.4.3.3). */
    TLS_RESTART,
    /** A SASL exchange is under way: {@code <response/>} or {@code <abort/>} is expected (§6.4). */
    AUTHENTICATING,
    /** The throttle holds an authentication outcome back (issue 17); nothing may come meanwhile. */
    AUTH_HELD,
    /** {@code <success/>} went out; the restarted stream's header comes next (§6.4.6). */
    AUTH_RESTART,
    /** Authenticated, no resource yet: binding (§7), session, registration, XEP-0198 resumption. */
    AUTHENTICATED,
    /** A resource is bound (or a session resumed, XEP-0198 §5): stanzas flow to the dispatcher. */
    BOUND,
    /** Ended: closed, a stream error, the connection lost, or handed over to a resuming stream. */
    CLOSED;

    private Set<StreamState> next;

    static {
        CONNECTED.next = EnumSet.of(NEGOTIATING, CLOSED);
        NEGOTIATING.next = EnumSet.of(TLS_RESTART, AUTHENTICATING, AUTH_HELD, AUTH_RESTART, CLOSED);
        TLS_RESTART.next = EnumSet.of(NEGOTIATING, CLOSED);
        AUTHENTICATING.next = EnumSet.of(NEGOTIATING, TLS_RESTART, AUTH_HELD, AUTH_RESTART, CLOSED);
        AUTH_HELD.next = EnumSet.of(AUTHENTICATING, NEGOTIATING, AUTH_RESTART, CLOSED);
        AUTH_RESTART.next = EnumSet.of(AUTHENTICATED, CLOSED);
        AUTHENTICATED.next = EnumSet.of(BOUND, CLOSED);
        BOUND.next = EnumSet.of(CLOSED);
        CLOSED.next = EnumSet.noneOf(StreamState.class);
    }

    /** Whether the graph has an edge from here to {@code target} (staying put is always allowed). */
    public boolean canMoveTo(StreamState target) {
        return target == this || next.contains(target);
    }

    /** A stream header is expected, nothing else (§4.3.3: after STARTTLS and SASL the stream restarts). */
    public boolean awaitsHeader() {
        return this == CONNECTED || this == TLS_RESTART || this == AUTH_RESTART;
    }

    /** SASL succeeded (the stream's account is known). */
    public boolean isAuthenticated() {
        return this == AUTH_RESTART || this == AUTHENTICATED || this == BOUND;
    }
}
