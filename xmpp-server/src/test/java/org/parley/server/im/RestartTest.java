package org.parley.server.im;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;

import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.MessageBuilder;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.ping.packet.Ping;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jxmpp.jid.impl.JidCreate;
import org.parley.server.testing.TestServer;

/** What the server acknowledged as stored survives a restart: accounts and offline messages. */
class RestartTest {

    @TempDir
    Path data;

    @Test
    void accountsAndOfflineMessagesSurviveARestart() throws Exception {
        try (TestServer server = TestServer.start(data)) {
            server.createUser("sender");
            server.createUser("sleeper");
            XMPPTCPConnection sender = server.login("sender");
            for (int i = 0; i < 3; i++) {
                sender.sendStanza(MessageBuilder.buildMessage().to(JidCreate.from("sleeper@localhost"))
                        .ofType(Message.Type.chat).setBody("kept " + i).build());
            }
            sender.sendIqRequestAndWaitForResponse(new Ping(JidCreate.domainBareFrom("localhost")));
            sender.disconnect();

            server.restart();

            assertEquals(List.of("kept 0", "kept 1", "kept 2"), server.messagesOnLogin("sleeper", 3),
                    "offline messages after the restart, in the order sent");
        }
    }
}
