package org.parley.server.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.MessageBuilder;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.mam.MamManager;
import org.jivesoftware.smackx.muc.MultiUserChat;
import org.jivesoftware.smackx.muc.MultiUserChatManager;
import org.jivesoftware.smackx.muc.RoomInfo;
import org.jivesoftware.smackx.ping.packet.Ping;
import org.jivesoftware.smackx.xdata.form.FillableForm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.jid.parts.Resourcepart;
import org.parley.server.config.ServerSettings.StorageSettings;
import org.parley.server.testing.TestPostgres;
import org.parley.server.testing.TestServer;

/**
 * The whole server on PostgreSQL, chosen by the storage settings alone: accounts, offline messages
 * (XEP-0160), the message archive (XEP-0313) and persistent rooms (XEP-0045 §10.2) are kept across a
 * restart, and nothing is written to the embedded database. Skipped, with the reason shown, where
 * PostgreSQL is not installed.
 */
class PostgresBackendTest {

    @TempDir
    Path data;

    private static Message chat(String to, String body) throws Exception {
        return MessageBuilder.buildMessage().to(JidCreate.from(to)).ofType(Message.Type.chat).setBody(body).build();
    }

    @Test
    void accountsOfflineMessagesAndTheArchiveSurviveARestartOnPostgresql() throws Exception {
        StorageSettings postgres = TestPostgres.newDatabase();
        try (TestServer server = TestServer.start(data, s -> s.withStorage(postgres))) {
            server.createUser("sender");
            server.createUser("sleeper");
            server.createUser("bob");
            XMPPTCPConnection bob = server.login("bob");
            BlockingQueue<Message> bobInbox = new LinkedBlockingQueue<>();
            bob.addSyncStanzaListener(s -> bobInbox.add((Message) s), s -> s instanceof Message);
            bob.sendStanza(bob.getStanzaFactory().buildPresenceStanza().build());
            bob.sendIqRequestAndWaitForResponse(new Ping(JidCreate.domainBareFrom("localhost"))); // presence processed
            XMPPTCPConnection sender = server.login("sender");
            for (int i = 0; i < 3; i++) {
                sender.sendStanza(chat("sleeper@localhost", "kept " + i));
                sender.sendStanza(chat("bob@localhost", "archived " + i));
            }
            sender.sendIqRequestAndWaitForResponse(new Ping(JidCreate.domainBareFrom("localhost")));
            for (int i = 0; i < 3; i++) {
                assertNotNull(bobInbox.poll(10, TimeUnit.SECONDS), "bob got message " + i);
            }
            sender.disconnect();
            bob.disconnect();

            server.restart();

            assertEquals(List.of("kept 0", "kept 1", "kept 2"), server.messagesOnLogin("sleeper", 3),
                    "offline messages after the restart, in the order sent");

            XMPPTCPConnection senderAgain = server.login("sender");
            MamManager mam = MamManager.getInstanceFor(senderAgain);
            assertTrue(mam.isSupported());
            MamManager.MamQuery newest = mam.queryArchive(MamManager.MamQueryArgs.builder()
                    .limitResultsToJid(JidCreate.bareFrom("bob@localhost")).setResultPageSizeTo(50).queryLastPage().build());
            assertEquals(List.of("archived 0", "archived 1", "archived 2"),
                    newest.getMessages().stream().map(Message::getBody).toList());
            senderAgain.disconnect();
        }
        assertFalse(Files.exists(data.resolve("db")), "no embedded database was created");
    }

    @Test
    void persistentRoomsSurviveARestartOnPostgresql() throws Exception {
        StorageSettings postgres = TestPostgres.newDatabase();
        try (TestServer server = TestServer.start(data, s -> s.withStorage(postgres))) {
            server.createUser("owner");
            XMPPTCPConnection owner = server.login("owner");
            MultiUserChat kept = MultiUserChatManager.getInstanceFor(owner)
                    .getMultiUserChat(JidCreate.entityBareFrom("kept@conference.localhost"));
            kept.create(Resourcepart.from("boss"));
            FillableForm answer = kept.getConfigurationForm().getFillableForm();
            answer.setAnswer("muc#roomconfig_persistentroom", true);
            answer.setAnswer("muc#roomconfig_roomname", "Kept room");
            kept.sendConfigurationForm(answer);
            kept.changeSubject("remember me");
            owner.disconnect();

            server.restart();

            XMPPTCPConnection ownerAgain = server.login("owner");
            RoomInfo info = MultiUserChatManager.getInstanceFor(ownerAgain)
                    .getRoomInfo(JidCreate.entityBareFrom("kept@conference.localhost"));
            assertEquals("Kept room", info.getName());
            assertTrue(info.isPersistent());
            assertEquals("remember me", info.getSubject());
            ownerAgain.disconnect();
        }
    }
}
