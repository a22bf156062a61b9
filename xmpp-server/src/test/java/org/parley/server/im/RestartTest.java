package org.parley.server.im;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

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

            XMPPTCPConnection sleeper = new XMPPTCPConnection(server.config("sleeper").build());
            BlockingQueue<Message> inbox = new LinkedBlockingQueue<>();
            // A sync listener: Smack calls async listeners concurrently, which would reorder what arrived in order.
            sleeper.addSyncStanzaListener(s -> inbox.add((Message) s), s -> s instanceof Message);
            sleeper.connect().login();
            sleeper.sendStanza(sleeper.getStanzaFactory().buildPresenceStanza().build());
            for (int i = 0; i < 3; i++) {
                Message m = inbox.poll(10, TimeUnit.SECONDS);
                assertNotNull(m, "offline message " + i + " after restart");
                assertEquals("kept " + i, m.getBody(), "in the order sent");
            }
            sleeper.disconnect();
        }
    }
}
