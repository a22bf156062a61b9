package org.parley.server.mam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.MessageBuilder;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.carbons.CarbonManager;
import org.jivesoftware.smackx.carbons.packet.CarbonExtension;
import org.jivesoftware.smackx.ping.packet.Ping;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.impl.JidCreate;
import org.parley.server.testing.TestServer;

/** Message Carbons (XEP-0280): every resource of a user sees the user's conversations. */
class CarbonsTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("romeo", "juliet");

    @Test
    void xep0280_threeResourcesSeeWhatTheOthersSendAndReceive() throws Exception {
        XMPPTCPConnection phone = server.login("romeo", "phone");
        XMPPTCPConnection laptop = server.login("romeo", "laptop");
        XMPPTCPConnection tablet = server.login("romeo", "tablet");
        XMPPTCPConnection juliet = server.login("juliet");
        try {
            assertTrue(CarbonManager.getInstanceFor(phone).isSupportedByServer(), "urn:xmpp:carbons:2 on the server");
            BlockingQueue<String> laptopCopies = new LinkedBlockingQueue<>();
            BlockingQueue<String> tabletCopies = new LinkedBlockingQueue<>();
            for (XMPPTCPConnection c : new XMPPTCPConnection[] {phone, laptop, tablet}) {
                CarbonManager.getInstanceFor(c).enableCarbons();
                c.sendStanza(c.getStanzaFactory().buildPresenceStanza().build());
                // Carbons go to available resources: the ping's answer means this presence was processed.
                c.sendIqRequestAndWaitForResponse(new Ping(JidCreate.domainBareFrom("localhost")));
            }
            CarbonManager.getInstanceFor(laptop).addCarbonCopyReceivedListener((direction, copy, wrapper) ->
                    laptopCopies.add(direction + " " + copy.getBody()));
            CarbonManager.getInstanceFor(tablet).addCarbonCopyReceivedListener((direction, copy, wrapper) ->
                    tabletCopies.add(direction + " " + copy.getBody()));
            BlockingQueue<Message> phoneInbox = new LinkedBlockingQueue<>();
            phone.addSyncStanzaListener(s -> phoneInbox.add((Message) s),
                    s -> s instanceof Message && ((Message) s).getBody() != null);

            phone.sendStanza(MessageBuilder.buildMessage().to(JidCreate.from("juliet@localhost"))
                    .ofType(Message.Type.chat).setBody("wherefore").build());
            assertEquals("sent wherefore", laptopCopies.poll(10, TimeUnit.SECONDS));
            assertEquals("sent wherefore", tabletCopies.poll(10, TimeUnit.SECONDS));

            juliet.sendStanza(MessageBuilder.buildMessage().to(phone.getUser())
                    .ofType(Message.Type.chat).setBody("here").build());
            assertEquals("here", phoneInbox.poll(10, TimeUnit.SECONDS).getBody());
            assertEquals("received here", laptopCopies.poll(10, TimeUnit.SECONDS));
            assertEquals("received here", tabletCopies.poll(10, TimeUnit.SECONDS));

            // <private/> opts out (§7).
            juliet.sendStanza(MessageBuilder.buildMessage().to(phone.getUser()).ofType(Message.Type.chat)
                    .setBody("secret").addExtension(CarbonExtension.Private.INSTANCE).build());
            assertNotNull(phoneInbox.poll(10, TimeUnit.SECONDS));
            juliet.sendIqRequestAndWaitForResponse(new Ping(JidCreate.domainBareFrom("localhost")));
            laptop.sendIqRequestAndWaitForResponse(new Ping(JidCreate.domainBareFrom("localhost")));
            assertNull(laptopCopies.poll(0, TimeUnit.SECONDS), "no copy of a private message");
        } finally {
            phone.disconnect();
            laptop.disconnect();
            tablet.disconnect();
            juliet.disconnect();
        }
    }
}
