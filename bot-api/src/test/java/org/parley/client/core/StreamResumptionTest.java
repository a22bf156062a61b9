package org.parley.client.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.parley.client.core.Clients.next;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.server.testing.TestServer;

/** The client core resumes its session (XEP-0198 §5) after the network drops, instead of logging in afresh. */
class StreamResumptionTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("romeo", "juliet");

    @Test
    void xep0198_aDroppedConnectionIsResumedAndWhatWasSentMeanwhileArrivesOnce() throws Exception {
        try (TcpRelay network = new TcpRelay(server.server().c2sPort())) {
            CertificateTrust trust = CertificateTrust.inMemory();
            trust.trust(TestServer.DOMAIN, server.server().certificateFingerprint());
            ParleyClient romeo = new ParleyClient(Clients.settings(server, "romeo").withHost("127.0.0.1", network.port()),
                    trust);
            ParleyClient juliet = Clients.login(server, "juliet");
            // Two queues, not one: after <resumed/> Smack's reader hands the resent message to the chat listeners
            // (on its executor) while the reconnection thread is still reporting the login, so the message can
            // come before ONLINE, and waiting for ONLINE on a shared queue would throw the message away.
            BlockingQueue<ConnectionState> states = Clients.queue();
            BlockingQueue<String> bodies = Clients.queue();
            try {
                romeo.addConnectionStateListener((state, cause) -> states.add(state));
                romeo.addChatListener(new ChatListener() {
                    @Override
                    public void messageReceived(ChatMessage message) {
                        bodies.add(message.body());
                    }
                });
                romeo.login(TestServer.PASSWORD);
                Room lobby = romeo.join("lobby", "romeo", null, 0);
                assertFalse(romeo.streamResumed());

                network.cut(); // no </stream>, no unavailable presence: the session stays resumable on the server
                next(states, s -> s == ConnectionState.RECONNECTING, "the drop is visible");
                juliet.sendMessage("romeo@localhost", "while you were away");
                next(states, s -> s == ConnectionState.ONLINE, "back online");
                assertTrue(romeo.streamResumed(), "the same session, resumed, not a new login");
                assertEquals("while you were away", take(bodies, "the message sent during the drop"),
                        "the message sent during the drop arrives, and first");
                assertTrue(lobby.isJoined(), "a resumed session is still in its rooms");

                juliet.sendMessage("romeo@localhost", "and after");
                // Next, not eventually: a second copy of the first message (XEP-0198 §5 resending what was
                // acknowledged) would come before this one.
                assertEquals("and after", take(bodies, "the message sent after the resumption"), "nothing twice");
                assertNull(bodies.poll(), "nothing twice");
                assertEquals(ConnectionState.ONLINE, romeo.state());
            } finally {
                romeo.close();
                juliet.close();
            }
        }
    }

    private static String take(BlockingQueue<String> bodies, String what) throws InterruptedException {
        String body = bodies.poll(Clients.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertNotNull(body, "timed out waiting for " + what);
        return body;
    }
}
