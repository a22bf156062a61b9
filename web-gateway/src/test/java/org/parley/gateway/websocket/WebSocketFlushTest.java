package org.parley.gateway.websocket;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.gateway.testing.RawWebSocket;
import org.parley.gateway.testing.TestGateway;

/**
 * Issue 18, write coalescing over WebSocket: a 1:1 message between two WebSocket sessions leaves on the
 * thread that handles the sender's stanza, whose {@code WriteBatch} flushes the recipient's connection at its
 * end, not by a hand-off to a flusher task on another thread; every message still arrives, in order, one stanza per WebSocket message
 * (RFC 7395 §3.3.3).
 */
class WebSocketFlushTest {

    private static final int MESSAGES = 50;

    @RegisterExtension
    static final TestGateway gateway = TestGateway.withUsers("alice", "bob");

    @Test
    void aChatMessageIsFlushedWhereTheSendersStanzaIsHandled_notHandedToTheFlusher() throws Exception {
        try (RawWebSocket alice = RawWebSocket.connect(gateway.webSocketUri());
             RawWebSocket bob = RawWebSocket.connect(gateway.webSocketUri())) {
            alice.login("alice", "phone");
            bob.login("bob", "laptop");
            bob.send("<presence xmlns='jabber:client'/>");
            alice.send("<presence xmlns='jabber:client'/>");
            long before = gateway.gateway().webSocketFlusherHandOffs();
            for (int i = 0; i < MESSAGES; i++) {
                alice.send("<message xmlns='jabber:client' to='bob@localhost/laptop' type='chat' id='m" + i
                        + "'><body>flushed " + i + ".</body></message>");
                // Each in turn: a message out of order would be skipped here and the next wait would time out.
                bob.awaitMessage("<body>flushed " + i + ".</body>");
            }
            long handOffs = gateway.gateway().webSocketFlusherHandOffs() - before;
            // One per message when each delivery is handed to the flusher (as before this change); a few may
            // still come from writers outside a session's task (a timer, a storage completion).
            assertTrue(handOffs <= MESSAGES / 10, handOffs + " flushes handed to the flusher for " + MESSAGES
                    + " messages");
        }
    }
}
