package org.parley.server.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** The negotiation graph of RFC 6120 that {@link XmppStream} moves along. */
class StreamStateTest {

    /** The happy path of a TCP login: header, STARTTLS (§5), SASL (§6), restart, binding (§7). */
    @Test
    void aLoginWalksTheGraphFromConnectedToBound() {
        StreamState[] path = {StreamState.CONNECTED, StreamState.NEGOTIATING, StreamState.TLS_RESTART,
                StreamState.NEGOTIATING, StreamState.AUTHENTICATING, StreamState.AUTH_RESTART,
                StreamState.AUTHENTICATED, StreamState.BOUND, StreamState.CLOSED};
        for (int i = 1; i < path.length; i++) {
            assertTrue(path[i - 1].canMoveTo(path[i]), path[i - 1] + " -> " + path[i]);
        }
    }

    @Test
    void everyStateCanCloseAndClosedIsFinal() {
        for (StreamState s : StreamState.values()) {
            assertTrue(s.canMoveTo(StreamState.CLOSED), s + " -> CLOSED");
            if (s != StreamState.CLOSED) {
                assertFalse(StreamState.CLOSED.canMoveTo(s), "CLOSED -> " + s);
            }
        }
    }

    /** No shortcut past authentication: only a SASL success leads to the authenticated states (§6.4.6). */
    @Test
    void onlyASaslSuccessLeadsPastAuthentication() {
        Set<StreamState> before = EnumSet.of(StreamState.CONNECTED, StreamState.NEGOTIATING, StreamState.TLS_RESTART,
                StreamState.AUTHENTICATING, StreamState.AUTH_HELD);
        for (StreamState from : before) {
            assertFalse(from.canMoveTo(StreamState.AUTHENTICATED), from + " -> AUTHENTICATED");
            assertFalse(from.canMoveTo(StreamState.BOUND), from + " -> BOUND");
            assertFalse(from.isAuthenticated(), from.toString());
        }
        assertFalse(StreamState.CONNECTED.canMoveTo(StreamState.AUTH_RESTART), "no SASL before the header");
        assertFalse(StreamState.AUTHENTICATED.canMoveTo(StreamState.NEGOTIATING), "no way back to negotiation");
    }

    /** §4.3.3: a header is expected at the start and after each restart, and only then. */
    @Test
    void aHeaderIsAwaitedAtTheStartAndAfterEachRestart() {
        assertEquals(EnumSet.of(StreamState.CONNECTED, StreamState.TLS_RESTART, StreamState.AUTH_RESTART),
                EnumSet.copyOf(java.util.Arrays.stream(StreamState.values()).filter(StreamState::awaitsHeader).toList()));
    }
}
