package org.parley.server.sm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.MessageBuilder;
import org.jivesoftware.smack.packet.Presence;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.muc.MultiUserChat;
import org.jivesoftware.smackx.muc.MultiUserChatManager;
import org.jivesoftware.smackx.ping.packet.Ping;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.jid.parts.Resourcepart;
import org.parley.server.config.ServerSettings;
import org.parley.server.testing.TestServer;

/** XEP-0198 §5: a dropped session nobody resumes ends when its resumption timeout passes. */
class ResumptionTimeoutTest {

    @RegisterExtension
    static final TestServer server = TestServer.withSettings(
            s -> s.withSm(new ServerSettings.Sm(Duration.ofSeconds(2))), "romeo", "juliet", "nurse");

    @Test
    void anUnresumedSessionLeavesItsRoomsAndItsUnacknowledgedMessagesGoOffline() throws Exception {
        XMPPTCPConnection romeo = new XMPPTCPConnection(server.config("romeo").setResource("phone").build());
        romeo.setUseStreamManagement(true);
        romeo.setUseStreamManagementResumption(true);
        XMPPTCPConnection juliet = server.login("juliet");
        XMPPTCPConnection nurse = server.login("nurse");
        try {
            romeo.connect().login();
            MultiUserChat seenByNurse = MultiUserChatManager.getInstanceFor(nurse)
                    .getMultiUserChat(JidCreate.entityBareFrom("lobby@conference.localhost"));
            seenByNurse.join(Resourcepart.from("nurse"));
            BlockingQueue<Presence> leaves = new LinkedBlockingQueue<>();
            seenByNurse.addParticipantListener(p -> {
                if (p.getType() == Presence.Type.unavailable) {
                    leaves.add(p);
                }
            });
            MultiUserChatManager.getInstanceFor(romeo).getMultiUserChat(
                    JidCreate.entityBareFrom("lobby@conference.localhost")).join(Resourcepart.from("romeo"));
            var romeoJid = romeo.getUser();

            romeo.instantShutdown();
            // Delivered to the detached session: unacknowledged when the timeout passes.
            juliet.sendStanza(MessageBuilder.buildMessage().to(romeoJid).ofType(Message.Type.chat)
                    .setBody("are you there?").build());
            juliet.sendIqRequestAndWaitForResponse(new Ping(JidCreate.domainBareFrom("localhost")));

            Presence left = leaves.poll(30, TimeUnit.SECONDS);
            assertNotNull(left, "the room sees romeo leave once the resumption timeout has passed");
            assertEquals(JidCreate.from("lobby@conference.localhost/romeo"), left.getFrom());

            assertEquals(List.of("are you there?"), server.messagesOnLogin("romeo", 1),
                    "the unacknowledged message went to offline storage");
        } finally {
            juliet.disconnect();
            nurse.disconnect();
        }
    }
}
