package org.parley.server.csi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.Presence;
import org.jivesoftware.smack.packet.Stanza;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.chatstates.ChatState;
import org.jivesoftware.smackx.chatstates.packet.ChatStateExtension;
import org.jivesoftware.smackx.csi.ClientStateIndicationManager;
import org.jivesoftware.smackx.muc.MultiUserChat;
import org.jivesoftware.smackx.muc.MultiUserChatManager;
import org.jivesoftware.smackx.ping.packet.Ping;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.jid.parts.Resourcepart;
import org.parley.server.storage.RosterEntry;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

/** Client State Indication (XEP-0352): what an inactive client is sent at once and what waits. */
class ClientStateIndicationTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("alice", "bob", "carol", "dave", "erin");

    /**
     * §6: the feature is offered. While inactive, presence updates and chat states wait, and a newer
     * presence from the same resource replaces the held one; a message with a body goes out at once, after
     * what was held, so the order is kept.
     */
    @Test
    void inactiveClientGetsMessagesAtOnceAndOnlyTheLatestPresenceBeforeThem() throws Exception {
        server.server().storage().rosters().put("alice",
                new RosterEntry("bob@localhost", null, "both", false, false, false, List.of()));
        server.server().storage().rosters().put("bob",
                new RosterEntry("alice@localhost", null, "both", false, false, false, List.of()));
        XMPPTCPConnection alice = server.login("alice", "phone");
        XMPPTCPConnection bob = server.login("bob", "desk");
        try {
            assertTrue(ClientStateIndicationManager.isSupported(alice), "<csi xmlns='urn:xmpp:csi:0'/> feature");
            BlockingQueue<Stanza> seen = new LinkedBlockingQueue<>();
            // A sync listener: called in the order stanzas arrived.
            alice.addSyncStanzaListener(seen::add, s -> s.getFrom() != null
                    && s.getFrom().asBareJid().toString().equals("bob@localhost"));
            alice.sendStanza(alice.getStanzaFactory().buildPresenceStanza().build());
            bob.sendStanza(bob.getStanzaFactory().buildPresenceStanza().setStatus("here").build());
            awaitMatching(seen, s -> s instanceof Presence p && "here".equals(p.getStatus()));

            ClientStateIndicationManager.inactive(alice);
            // Alice's next stanza is processed after the nonza (one session, in order): this round trip
            // makes sure the server saw <inactive/> before bob starts.
            Ping ping = new Ping(JidCreate.from("localhost"));
            // Smack calls sync listeners on their own thread, in arrival order, after it has woken collectors: a
            // listener for the ping's result runs only once every earlier stanza reached `seen`, so nothing that
            // arrived before the round trip can slip in after the clear.
            CountDownLatch caughtUp = new CountDownLatch(1);
            alice.addSyncStanzaListener(s -> caughtUp.countDown(), s -> ping.getStanzaId().equals(s.getStanzaId()));
            alice.createStanzaCollectorAndSend(ping).nextResultOrThrow(10_000);
            assertTrue(caughtUp.await(10, TimeUnit.SECONDS), "listeners caught up with the round trip");
            seen.clear();

            for (String status : List.of("one", "two", "three")) {
                bob.sendStanza(bob.getStanzaFactory().buildPresenceStanza().setStatus(status).build());
            }
            Message typing = bob.getStanzaFactory().buildMessageStanza().to(JidCreate.from("alice@localhost"))
                    .ofType(Message.Type.chat).addExtension(new ChatStateExtension(ChatState.composing)).build();
            bob.sendStanza(typing);
            bob.sendStanza(bob.getStanzaFactory().buildMessageStanza().to(JidCreate.from("alice@localhost"))
                    .ofType(Message.Type.chat).setBody("wake up").build());

            Stanza first = awaitMatching(seen, s -> true);
            assertTrue(first instanceof Presence p && "three".equals(p.getStatus()),
                    "only the latest held presence is sent, first: " + first);
            Stanza second = awaitMatching(seen, s -> true);
            assertTrue(second instanceof Message m && m.getBody() == null
                    && m.hasExtension(ChatStateExtension.NAMESPACE), "then the held chat state: " + second);
            Stanza third = awaitMatching(seen, s -> true);
            assertTrue(third instanceof Message m && "wake up".equals(m.getBody()), "then the message: " + third);

            // Held again while inactive; <active/> sends it.
            bob.sendStanza(bob.getStanzaFactory().buildPresenceStanza().setStatus("four").build());
            bob.sendStanza(bob.getStanzaFactory().buildPresenceStanza().setStatus("five").build());
            bob.createStanzaCollectorAndSend(new Ping(JidCreate.from("localhost"))).nextResultOrThrow(10_000);
            ClientStateIndicationManager.active(alice);
            Stanza flushed = awaitMatching(seen, s -> true);
            assertTrue(flushed instanceof Presence p && "five".equals(p.getStatus()), "§4: <active/> sends what was held: "
                    + flushed);
        } finally {
            alice.disconnect();
            bob.disconnect();
        }
    }

    /** In a room, only a groupchat message that names the user's nickname is sent at once. */
    @Test
    void groupchatMentionIsImportantOtherGroupchatWaits() throws Exception {
        XMPPTCPConnection carol = server.login("carol", "phone");
        XMPPTCPConnection dave = server.login("dave", "desk");
        try {
            var room = JidCreate.entityBareFrom("lobby@conference.localhost");
            MultiUserChat carolRoom = MultiUserChatManager.getInstanceFor(carol).getMultiUserChat(room);
            MultiUserChat daveRoom = MultiUserChatManager.getInstanceFor(dave).getMultiUserChat(room);
            BlockingQueue<Stanza> seen = new LinkedBlockingQueue<>();
            carol.addSyncStanzaListener(seen::add, s -> s.getFrom() != null
                    && s.getFrom().toString().equals("lobby@conference.localhost/dave"));
            carolRoom.join(Resourcepart.from("Caro"));
            daveRoom.join(Resourcepart.from("dave"));
            awaitMatching(seen, s -> s instanceof Presence); // dave's join reached carol

            ClientStateIndicationManager.inactive(carol);
            carol.createStanzaCollectorAndSend(new Ping(JidCreate.from("localhost"))).nextResultOrThrow(10_000);
            seen.clear();

            daveRoom.changeAvailabilityStatus("p1", Presence.Mode.available);
            daveRoom.changeAvailabilityStatus("p2", Presence.Mode.available);
            daveRoom.sendMessage("nothing for anyone in particular");
            // Had that message been sent at once, p2 would have gone before it; held, p2 is replaced by p3.
            daveRoom.changeAvailabilityStatus("p3", Presence.Mode.available);
            daveRoom.sendMessage("hey caro, look");

            // The newer presence replaces the held one and takes its own place in the order: after the message.
            Stanza first = awaitMatching(seen, s -> true);
            assertTrue(first instanceof Message m && m.getBody().startsWith("nothing"), "held message: " + first.toXML());
            Stanza second = awaitMatching(seen, s -> true);
            assertTrue(second instanceof Presence p && "p3".equals(p.getStatus()), "latest presence only: "
                    + second.toXML());
            Stanza third = awaitMatching(seen, s -> true);
            assertTrue(third instanceof Message m && m.getBody().startsWith("hey caro"), "the mention: " + third.toXML());
        } finally {
            carol.disconnect();
            dave.disconnect();
        }
    }

    /**
     * XEP-0198 counts only what was sent: a held stanza cannot be acknowledged (an h beyond what was sent is
     * an error), and once sent it can.
     */
    @Test
    void streamManagementCountsOnlyWhatWasSent() throws Exception {
        XMPPTCPConnection erin = server.login("erin", "desk");
        try (RawClient raw = RawClient.loggedIn(server, "alice")) {
            raw.send("<enable xmlns='urn:xmpp:sm:3'/>").await("<enabled");
            raw.send("<inactive xmlns='urn:xmpp:csi:0'/><r xmlns='urn:xmpp:sm:3'/>").await("<a ");
            raw.clear();
            Message typing = erin.getStanzaFactory().buildMessageStanza().to(JidCreate.from("alice@localhost/raw"))
                    .ofType(Message.Type.chat).addExtension(new ChatStateExtension(ChatState.composing)).build();
            erin.sendStanza(typing);
            // Erin's stanzas are handled in order: once this is answered, the chat state was held or sent.
            erin.createStanzaCollectorAndSend(new Ping(JidCreate.from("localhost"))).nextResultOrThrow(10_000);
            raw.send("<r xmlns='urn:xmpp:sm:3'/>").await("<a ");
            assertFalse(raw.received().contains("composing"), "held while inactive: " + raw.received());

            raw.send("<active xmlns='urn:xmpp:csi:0'/>").await("composing");
            raw.send("<a xmlns='urn:xmpp:sm:3' h='1'/><iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>")
                    .await("id=\"p1\"");
            assertFalse(raw.received().contains("stream:error"), "h=1 matches what was sent: " + raw.received());
        } finally {
            erin.disconnect();
        }
        try (RawClient raw = RawClient.loggedIn(server, "alice")) {
            raw.send("<enable xmlns='urn:xmpp:sm:3'/>").await("<enabled");
            raw.send("<inactive xmlns='urn:xmpp:csi:0'/>");
            XMPPTCPConnection again = server.login("erin", "desk");
            try {
                again.sendStanza(again.getStanzaFactory().buildMessageStanza().to(JidCreate.from("alice@localhost/raw"))
                        .ofType(Message.Type.chat).addExtension(new ChatStateExtension(ChatState.paused)).build());
                again.createStanzaCollectorAndSend(new Ping(JidCreate.from("localhost"))).nextResultOrThrow(10_000);
            } finally {
                again.disconnect();
            }
            raw.send("<a xmlns='urn:xmpp:sm:3' h='1'/>");
            assertTrue(raw.awaitClosed(Duration.ofSeconds(10)), "acknowledging a held stanza ends the stream");
            assertFalse(raw.received().contains("paused"), "it was never sent: " + raw.received());
        }
    }

    private static final List<Stanza> seenSoFar = new java.util.concurrent.CopyOnWriteArrayList<>();

    private static Stanza awaitMatching(BlockingQueue<Stanza> queue, java.util.function.Predicate<Stanza> wanted)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            Stanza s = queue.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            assertNotNull(s, "stanza expected within 10 s; seen so far: " + seenSoFar);
            seenSoFar.add(s);
            if (wanted.test(s)) {
                return s;
            }
        }
    }
}
