package org.parley.client.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.parley.client.core.Clients.next;

import java.util.Set;
import java.util.concurrent.BlockingQueue;

import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smackx.message_correct.element.MessageCorrectExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.impl.JidCreate;
import org.parley.server.testing.TestServer;

/**
 * Reactions (XEP-0444) and corrections (XEP-0308) between two clients on a real server, in a room and 1:1: a
 * reaction names the message by the id the receiver got with it (in a room the room's stanza-id, XEP-0359), and
 * a correction arrives as one, not as a new message.
 */
class ReactionsAndCorrectionsTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("alice", "bob");

    @Test
    void reactionsAndCorrectionsInARoomAndOneToOne() throws Exception {
        ParleyClient alice = Clients.login(server, "alice");
        ParleyClient bob = Clients.login(server, "bob");
        try {
            Room aliceRoom = alice.join("fun", "alice", null, 0);
            Room bobRoom = bob.join("fun", "bob", null, 0);
            BlockingQueue<Object> aliceSees = Clients.queue();
            BlockingQueue<ChatMessage> bobSees = Clients.queue();
            aliceRoom.addListener(new RoomListener() {
                @Override
                public void messageReceived(Room room, ChatMessage message) {
                    aliceSees.add(message);
                }

                @Override
                public void reactionsChanged(Room room, String nick, String messageId, Set<String> emojis) {
                    aliceSees.add("reaction " + nick + " " + messageId + " " + emojis);
                }

                @Override
                public void messageCorrected(Room room, String nick, String replacedId, ChatMessage correction) {
                    aliceSees.add("correction " + nick + " " + replacedId + " " + correction.body());
                }
            });
            bobRoom.addListener(new RoomListener() {
                @Override
                public void messageReceived(Room room, ChatMessage message) {
                    bobSees.add(message);
                }
            });

            aliceRoom.send("hello room");
            ChatMessage own = (ChatMessage) next(aliceSees, e -> e instanceof ChatMessage m && m.body().equals("hello room"),
                    "alice's own message back from the room");
            ChatMessage atBob = next(bobSees, m -> m.body().equals("hello room"), "bob gets it");
            assertNotNull(atBob.id(), "the room gave it a stanza-id");
            assertEquals(own.id(), atBob.id(), "both see the same id: the room's");
            bob.react(bobRoom.jid(), atBob.id(), Set.of("👍"));
            next(aliceSees, ("reaction bob " + own.id() + " [👍]")::equals, "bob's reaction on alice's message");

            // XEP-0308: bob corrects his last message.
            Message typo = bob.smackConnection().getStanzaFactory().buildMessageStanza()
                    .to(JidCreate.entityBareFrom(bobRoom.jid())).ofType(Message.Type.groupchat).setBody("helo").build();
            bob.smackConnection().sendStanza(typo);
            next(aliceSees, e -> e instanceof ChatMessage m && m.body().equals("helo"), "the typo");
            bob.smackConnection().sendStanza(bob.smackConnection().getStanzaFactory().buildMessageStanza()
                    .to(JidCreate.entityBareFrom(bobRoom.jid())).ofType(Message.Type.groupchat).setBody("hello")
                    .addExtension(new MessageCorrectExtension(typo.getStanzaId())).build());
            next(aliceSees, ("correction bob " + typo.getStanzaId() + " hello")::equals, "the correction, as one");

            // 1:1: the id sendMessage returns is the one a reaction names.
            BlockingQueue<String> aliceChat = Clients.queue();
            alice.addChatListener(new ChatListener() {
                @Override
                public void reactionsChanged(String from, String messageId, Set<String> emojis) {
                    aliceChat.add(from + " " + messageId + " " + emojis);
                }
            });
            BlockingQueue<ChatMessage> bobChat = Clients.queue();
            bob.addChatListener(new ChatListener() {
                @Override
                public void messageReceived(ChatMessage message) {
                    bobChat.add(message);
                }
            });
            String sent = alice.sendMessage("bob@localhost", "lunch?");
            ChatMessage asked = next(bobChat, m -> m.body().equals("lunch?"), "bob gets the question");
            assertEquals(sent, asked.id());
            bob.react("alice@localhost", asked.id(), Set.of("❤"));
            next(aliceChat, ("bob@localhost " + sent + " [❤]")::equals, "the 1:1 reaction");
        } finally {
            alice.close();
            bob.close();
        }
    }
}
