package org.parley.server.sm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;

import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.MessageBuilder;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.mam.MamManager;
import org.jivesoftware.smackx.ping.packet.Ping;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.impl.JidCreate;
import org.parley.server.config.ServerSettings;
import org.parley.server.testing.TestServer;

/**
 * XEP-0198 §5 across a server restart: a session waiting for its client to resume holds messages the
 * client never acknowledged; stopping the server must not lose them.
 */
class ResumptionShutdownTest {

    @RegisterExtension
    static final TestServer server = TestServer.withSettings(
            s -> s.withSm(new ServerSettings.Sm(Duration.ofMinutes(5))), "romeo", "juliet");

    @Test
    void xep0198_5_unacknowledgedMessagesOfADetachedSessionGoOfflineWhenTheServerStops() throws Exception {
        XMPPTCPConnection romeo = new XMPPTCPConnection(server.config("romeo").setResource("phone").build());
        romeo.setUseStreamManagement(true);
        romeo.setUseStreamManagementResumption(true);
        romeo.connect().login();
        var romeoJid = romeo.getUser();
        romeo.instantShutdown(); // the connection drops; the session waits five minutes to be resumed

        XMPPTCPConnection juliet = server.login("juliet");
        try {
            juliet.sendStanza(MessageBuilder.buildMessage().to(romeoJid).ofType(Message.Type.chat)
                    .setBody("before the restart").build());
            // Answered after the message was routed: it is now held by romeo's detached session.
            juliet.sendIqRequestAndWaitForResponse(new Ping(JidCreate.domainBareFrom("localhost")));
        } finally {
            juliet.disconnect();
        }

        server.restart();

        assertEquals(List.of("before the restart"), server.messagesOnLogin("romeo", 1),
                "the message the detached session never delivered went to offline storage at shutdown");

        // Rerouting is not a second delivery to the archive: the conversation holds the message once.
        XMPPTCPConnection again = server.login("romeo");
        try {
            MamManager mam = MamManager.getInstanceFor(again);
            assertTrue(mam.isSupported()); // Smack learns the MAM version from disco
            MamManager.MamQuery archived = mam.queryArchive(MamManager.MamQueryArgs
                    .builder().limitResultsToJid(JidCreate.bareFrom("juliet@localhost")).build());
            assertEquals(List.of("before the restart"),
                    archived.getMessages().stream().map(Message::getBody).toList());
        } finally {
            again.disconnect();
        }
    }
}
