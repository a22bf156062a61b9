package org.parley.client.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
            BlockingQueue<Object> events = Clients.queue();
            try {
                romeo.addConnectionStateListener((state, cause) -> events.add(state));
                romeo.addChatListener(ParleyClientTest.chatRecorder(events));
                romeo.login(TestServer.PASSWORD);
                Room lobby = romeo.join("lobby", "romeo", null, 0);
                assertFalse(romeo.streamResumed());

                network.cut(); // no </stream>, no unavailable presence: the session stays resumable on the server
                next(events, e -> e == ConnectionState.RECONNECTING, "the drop is visible");
                juliet.sendMessage("romeo@localhost", "while you were away");
                next(events, e -> e == ConnectionState.ONLINE, "back online");
                assertTrue(romeo.streamResumed(), "the same session, resumed, not a new login");
                next(events, e -> e instanceof ChatMessage m && m.body().equals("while you were away"),
                        "the message sent during the drop arrives");
                assertTrue(lobby.isJoined(), "a resumed session is still in its rooms");

                juliet.sendMessage("romeo@localhost", "and after");
                next(events, e -> e instanceof ChatMessage m && m.body().equals("and after"), "messages flow");
                Object twice;
                while ((twice = events.poll(0, TimeUnit.SECONDS)) != null) {
                    assertFalse(twice instanceof ChatMessage m && m.body().equals("while you were away"), "nothing twice");
                }
                assertEquals(ConnectionState.ONLINE, romeo.state());
            } finally {
                romeo.close();
                juliet.close();
            }
        }
    }
}
