package org.parley.server.blocking;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.Presence;
import org.jivesoftware.smack.packet.StanzaError;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.blocking.BlockingCommandManager;
import org.jivesoftware.smackx.ping.packet.Ping;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.Jid;
import org.jxmpp.jid.impl.JidCreate;
import org.parley.server.storage.RosterEntry;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

/** Blocking Command (XEP-0191) with real Smack clients and raw transcripts for what Smack cannot send. */
class BlockingTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("alice", "bob", "carol", "dave", "erin", "frank");

    private static Jid jid(String s) throws Exception {
        return JidCreate.from(s);
    }

    /** §3.1-§3.5: discover, read, block, unblock, unblock all; every change pushed to the other resource. */
    @Test
    void blockListIsReadChangedAndPushedToEveryResourceThatAskedForTheRoster() throws Exception {
        XMPPTCPConnection phone = server.login("alice", "phone");
        XMPPTCPConnection laptop = server.login("alice", "laptop");
        try {
            BlockingCommandManager onPhone = BlockingCommandManager.getInstanceFor(phone);
            BlockingCommandManager onLaptop = BlockingCommandManager.getInstanceFor(laptop);
            assertTrue(onPhone.isSupportedByServer(), "urn:xmpp:blocking in the server's disco#info (§3.1)");
            assertEquals(List.of(), onPhone.getBlockList(), "an empty list at first (§3.2)");
            assertEquals(List.of(), onLaptop.getBlockList());

            BlockingQueue<List<Jid>> blockedPushes = new LinkedBlockingQueue<>();
            BlockingQueue<List<Jid>> unblockedPushes = new LinkedBlockingQueue<>();
            BlockingQueue<Boolean> allUnblocked = new LinkedBlockingQueue<>();
            onLaptop.addJidsBlockedListener(blockedPushes::add);
            onLaptop.addJidsUnblockedListener(unblockedPushes::add);
            onLaptop.addAllJidsUnblockedListener(() -> allUnblocked.add(true));

            onPhone.blockContacts(List.of(jid("bob@localhost"), jid("spam.example")));
            assertEquals(List.of(jid("bob@localhost"), jid("spam.example")), blockedPushes.poll(10, TimeUnit.SECONDS),
                    "§3.3: the block is pushed to the other resource");
            assertEquals(2, onLaptop.getBlockList().size());

            onPhone.unblockContacts(List.of(jid("spam.example")));
            assertEquals(List.of(jid("spam.example")), unblockedPushes.poll(10, TimeUnit.SECONDS), "§3.4 push");
            assertEquals(java.util.Set.of("bob@localhost"), server.server().storage().blockLists().blocked("alice"));

            onPhone.unblockAll();
            assertNotNull(allUnblocked.poll(10, TimeUnit.SECONDS), "§3.5: unblock-all is pushed");
            assertEquals(java.util.Set.of(), server.server().storage().blockLists().blocked("alice"));
        } finally {
            phone.disconnect();
            laptop.disconnect();
        }
    }

    /**
     * §3.6 inbound: a blocked contact's message gets service-unavailable and is not delivered, its IQ get
     * gets service-unavailable; §3.3 outbound: the blocker's message gets not-acceptable with
     * {@code <blocked xmlns='urn:xmpp:blocking:errors'/>}.
     */
    @Test
    void stanzasBetweenBlockerAndBlockedAreStoppedWithTheXepsErrors() throws Exception {
        XMPPTCPConnection carol = server.login("carol", "home");
        XMPPTCPConnection dave = server.login("dave", "home");
        try {
            carol.sendStanza(carol.getStanzaFactory().buildPresenceStanza().build());
            BlockingQueue<Message> carolInbox = new LinkedBlockingQueue<>();
            carol.addAsyncStanzaListener(s -> carolInbox.add((Message) s),
                    s -> s instanceof Message m && m.getType() != Message.Type.error);
            BlockingQueue<Message> daveErrors = new LinkedBlockingQueue<>();
            dave.addAsyncStanzaListener(s -> daveErrors.add((Message) s),
                    s -> s instanceof Message m && m.getType() == Message.Type.error);
            BlockingQueue<Message> carolErrors = new LinkedBlockingQueue<>();
            carol.addAsyncStanzaListener(s -> carolErrors.add((Message) s),
                    s -> s instanceof Message m && m.getType() == Message.Type.error);

            BlockingCommandManager.getInstanceFor(carol).blockContacts(List.of(jid("dave@localhost")));

            dave.sendStanza(message(dave, "carol@localhost", "hello?"));
            Message bounced = daveErrors.poll(10, TimeUnit.SECONDS);
            assertNotNull(bounced, "§3.6: a message from a blocked contact is answered with an error");
            assertEquals(StanzaError.Condition.service_unavailable, bounced.getError().getCondition());

            Ping ping = new Ping(jid("carol@localhost/home"));
            var answer = dave.createStanzaCollectorAndSend(ping).nextResult(10_000);
            assertNotNull(answer, "§3.6: an IQ get from a blocked contact is answered");
            assertEquals(StanzaError.Condition.service_unavailable, answer.getError().getCondition());

            carol.sendStanza(message(carol, "dave@localhost", "go away"));
            Message refused = carolErrors.poll(10, TimeUnit.SECONDS);
            assertNotNull(refused, "§3.3: a message to a blocked contact is refused");
            assertEquals(StanzaError.Condition.not_acceptable, refused.getError().getCondition());
            assertNotNull(refused.getError().getExtension("blocked", "urn:xmpp:blocking:errors"),
                    "with <blocked xmlns='urn:xmpp:blocking:errors'/>");

            BlockingCommandManager.getInstanceFor(carol).unblockContacts(List.of(jid("dave@localhost")));
            dave.sendStanza(message(dave, "carol@localhost", "friends again"));
            Message delivered = carolInbox.poll(10, TimeUnit.SECONDS);
            assertNotNull(delivered, "after the unblock, messages flow again");
            assertEquals("friends again", delivered.getBody(), "and the blocked one never arrived");
        } finally {
            carol.disconnect();
            dave.disconnect();
        }
    }

    private static Message message(XMPPTCPConnection from, String to, String body) throws Exception {
        return from.getStanzaFactory().buildMessageStanza().to(jid(to)).ofType(Message.Type.chat).setBody(body).build();
    }

    /**
     * §3.3: on block, a contact subscribed to the user's presence gets unavailable presence, and the user's
     * resources see the contact go offline; §3.4: on unblock, the contact gets the user's presence again.
     */
    @Test
    void blockSendsUnavailablePresenceAndUnblockSendsCurrentPresence() throws Exception {
        server.server().storage().rosters().put("erin",
                new RosterEntry("frank@localhost", null, "both", false, false, false, List.of()));
        server.server().storage().rosters().put("frank",
                new RosterEntry("erin@localhost", null, "both", false, false, false, List.of()));
        XMPPTCPConnection erin = server.login("erin", "desk");
        XMPPTCPConnection frank = server.login("frank", "desk");
        try {
            BlockingQueue<Presence> frankSees = new LinkedBlockingQueue<>();
            frank.addAsyncStanzaListener(s -> frankSees.add((Presence) s),
                    s -> s instanceof Presence p && p.getFrom().asBareJid().toString().equals("erin@localhost"));
            BlockingQueue<Presence> erinSees = new LinkedBlockingQueue<>();
            erin.addAsyncStanzaListener(s -> erinSees.add((Presence) s),
                    s -> s instanceof Presence p && p.getFrom().asBareJid().toString().equals("frank@localhost"));
            frank.sendStanza(frank.getStanzaFactory().buildPresenceStanza().build());
            erin.sendStanza(erin.getStanzaFactory().buildPresenceStanza().setStatus("at my desk").build());
            // Who sees whom first depends on who became available first (a probe or a broadcast): wait for both.
            awaitAvailable(frankSees);
            awaitAvailable(erinSees);

            BlockingCommandManager.getInstanceFor(erin).blockContacts(List.of(jid("frank@localhost")));
            await(frankSees, p -> p.getType() == Presence.Type.unavailable, "§3.3: unavailable to the blocked contact");
            await(erinSees, p -> p.getType() == Presence.Type.unavailable, "the blocked contact looks offline");

            // While blocked, erin's presence changes do not reach frank, nor his hers.
            erin.sendStanza(erin.getStanzaFactory().buildPresenceStanza().setStatus("hidden").build());
            frank.sendStanza(frank.getStanzaFactory().buildPresenceStanza().setStatus("also hidden").build());
            // Each session handles its stanzas in order, so once these round trips are answered the
            // presences above were either delivered or dropped.
            BlockingCommandManager.getInstanceFor(erin).getBlockList();
            frank.createStanzaCollectorAndSend(new Ping(jid("localhost"))).nextResultOrThrow(10_000);
            erin.createStanzaCollectorAndSend(new Ping(jid("localhost"))).nextResultOrThrow(10_000);
            assertTrue(frankSees.stream().noneMatch(p -> "hidden".equals(p.getStatus())), "blocked: " + frankSees);
            assertTrue(erinSees.stream().noneMatch(p -> "also hidden".equals(p.getStatus())), "blocked: " + erinSees);

            BlockingCommandManager.getInstanceFor(erin).unblockContacts(List.of(jid("frank@localhost")));
            await(frankSees, p -> p.getType() == Presence.Type.available && "hidden".equals(p.getStatus()),
                    "§3.4: erin's current presence after the unblock");
            await(erinSees, p -> p.getType() == Presence.Type.available && "also hidden".equals(p.getStatus()),
                    "erin learns frank's presence again (probe)");
        } finally {
            erin.disconnect();
            frank.disconnect();
        }
    }

    private static void awaitAvailable(BlockingQueue<Presence> queue) throws InterruptedException {
        await(queue, p -> p.getType() == Presence.Type.available, "available presence");
    }

    /** Takes presences off the queue until one matches (10 s at most). */
    private static void await(BlockingQueue<Presence> queue, java.util.function.Predicate<Presence> wanted, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            Presence p = queue.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            assertNotNull(p, what + " expected within 10 s");
            if (wanted.test(p)) {
                return;
            }
        }
    }

    /** Bad input gets the exact errors; nothing is stored from a refused request. */
    @Test
    void badRequestsGetTheirErrors() throws Exception {
        try (RawClient raw = RawClient.loggedIn(server, "bob")) {
            raw.send("<iq type='set' id='b1'><block xmlns='urn:xmpp:blocking'/></iq>");
            assertError(raw, "b1", "modify", "bad-request"); // §3.3: no item
            raw.send("<iq type='set' id='b2'><block xmlns='urn:xmpp:blocking'><item jid='bob@localhost/other'/></block></iq>");
            assertError(raw, "b2", "modify", "not-acceptable"); // oneself
            raw.send("<iq type='set' id='b3'><block xmlns='urn:xmpp:blocking'><item jid='localhost'/></block></iq>");
            assertError(raw, "b3", "modify", "not-acceptable"); // one's own server
            raw.send("<iq type='set' id='b4'><block xmlns='urn:xmpp:blocking'><item jid='a@b@c'/></block></iq>");
            assertError(raw, "b4", "modify", "jid-malformed");
            raw.send("<iq type='set' id='b5'><block xmlns='urn:xmpp:blocking'><item/></block></iq>");
            assertError(raw, "b5", "modify", "bad-request");
            raw.send("<iq type='get' id='b6'><block xmlns='urn:xmpp:blocking'/></iq>");
            assertError(raw, "b6", "modify", "bad-request");
            raw.send("<iq type='get' id='b7' to='alice@localhost'><blocklist xmlns='urn:xmpp:blocking'/></iq>");
            String answer = raw.await("</iq>");
            assertTrue(answer.contains("type='error'") || answer.contains("type=\"error\""),
                    "nobody reads another account's list: " + answer);
            raw.clear();
            raw.send("<iq type='get' id='b8'><blocklist xmlns='urn:xmpp:blocking'/></iq>");
            String list = raw.await("</iq>");
            assertFalse(list.contains("<item"), "nothing was stored: " + list);
        }
    }

    private static void assertError(RawClient raw, String id, String type, String condition) throws Exception {
        String got = raw.await("</iq>");
        assertTrue(got.contains(id), got);
        assertTrue(got.contains("type='" + type + "'") || got.contains("type=\"" + type + "\""), got);
        assertTrue(got.contains("<" + condition + " "), "expected " + condition + " in " + got);
        raw.clear();
    }

    /** The list is stored: it survives a restart of the server. */
    @Test
    void blockListIsStored() throws Exception {
        XMPPTCPConnection bob = server.login("bob", "stored");
        try {
            BlockingCommandManager.getInstanceFor(bob).blockContacts(List.of(jid("troll@example.org")));
        } finally {
            bob.disconnect();
        }
        server.restart();
        XMPPTCPConnection again = server.login("bob", "stored");
        try {
            assertEquals(List.of(jid("troll@example.org")), BlockingCommandManager.getInstanceFor(again).getBlockList());
            BlockingCommandManager.getInstanceFor(again).unblockAll();
        } finally {
            again.disconnect();
        }
    }
}
