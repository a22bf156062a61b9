package org.parley.server.sm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.MessageBuilder;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

/** Stream management (XEP-0198): acknowledgements and resumption after a dropped connection. */
class StreamManagementTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("romeo", "juliet");

    @Test
    void xep0198_5_aDroppedStreamIsResumedAndWhatWasSentMeanwhileArrivesOnce() throws Exception {
        XMPPTCPConnection romeo = new XMPPTCPConnection(server.config("romeo").setResource("phone").build());
        romeo.setUseStreamManagement(true);
        romeo.setUseStreamManagementResumption(true);
        XMPPTCPConnection juliet = server.login("juliet");
        try {
            BlockingQueue<String> romeoInbox = new LinkedBlockingQueue<>();
            romeo.addSyncStanzaListener(s -> romeoInbox.add(((Message) s).getBody()),
                    s -> s instanceof Message && ((Message) s).getBody() != null);
            BlockingQueue<String> julietInbox = new LinkedBlockingQueue<>();
            juliet.addSyncStanzaListener(s -> julietInbox.add(((Message) s).getBody()),
                    s -> s instanceof Message && ((Message) s).getBody() != null);
            romeo.connect().login();
            assertTrue(romeo.isSmEnabled(), "§3: the server offers and enables stream management");
            assertTrue(romeo.isSmResumptionPossible(), "§5: and resumption");

            juliet.sendStanza(MessageBuilder.buildMessage().to(romeo.getUser()).setBody("before").build());
            assertEquals("before", romeoInbox.poll(10, TimeUnit.SECONDS));

            romeo.instantShutdown(); // the socket just goes: no </stream>, no unavailable presence
            // Sent to the full JID while the session is detached: kept, and delivered after resumption.
            juliet.sendStanza(MessageBuilder.buildMessage().to(romeo.getUser()).setBody("while away").build());
            // Smack queues this one itself and sends it again after resuming.
            romeo.sendStanza(MessageBuilder.buildMessage().to(juliet.getUser()).setBody("queued by romeo").build());
            romeo.connect().login();
            assertTrue(romeo.streamWasResumed(), "the same session, not a new login");
            assertEquals("while away", romeoInbox.poll(10, TimeUnit.SECONDS));
            assertEquals("queued by romeo", julietInbox.poll(10, TimeUnit.SECONDS));

            juliet.sendStanza(MessageBuilder.buildMessage().to(romeo.getUser()).setBody("after").build());
            assertEquals("after", romeoInbox.poll(10, TimeUnit.SECONDS));
            assertEquals(null, romeoInbox.poll(0, TimeUnit.SECONDS), "nothing twice");
        } finally {
            romeo.disconnect();
            juliet.disconnect();
        }
    }

    @Test
    void xep0198_4_theServerCountsWhatItHandledAndUnknownResumptionsFail() throws Exception {
        try (RawClient raw = RawClient.loggedIn(server, "romeo")) {
            raw.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/>");
            String enabled = raw.await("</enabled>").replace('"', '\'');
            assertTrue(enabled.contains("<enabled") && enabled.contains("resume='true'"), enabled);
            raw.clear();
            raw.send("<presence/><iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>");
            raw.await("p1");
            raw.send("<r xmlns='urn:xmpp:sm:3'/>");
            String ack = raw.await("h=").replace('"', '\'');
            assertNotNull(ack);
            assertTrue(raw.await("</a>").replace('"', '\'').contains("h='2'"), "two stanzas handled: " + raw.received());
        }
        try (RawClient other = RawClient.loggedIn(server, "juliet")) {
            // A resumption of a stream that does not exist (or not ours) fails; binding still works after it.
            other.send("<resume xmlns='urn:xmpp:sm:3' previd='nope' h='0'/>");
            assertTrue(other.await("</failed>").contains("item-not-found"));
        }
    }
}
