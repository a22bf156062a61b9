package org.parley.server.cluster;

import static org.parley.server.cluster.ClusterWaits.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.Presence;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.muc.MultiUserChat;
import org.jivesoftware.smackx.muc.MultiUserChatManager;
import org.jivesoftware.smackx.xdata.form.FillableForm;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.jxmpp.jid.EntityBareJid;
import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.jid.parts.Resourcepart;
import org.parley.server.config.ClusterSettings;
import org.parley.server.config.ServerSettings;
import org.parley.server.storage.RosterEntry;
import org.parley.server.testing.TestPostgres;
import org.parley.server.testing.TestServer;

/**
 * Issue 19: three Parley nodes in one JVM, each a real server on ephemeral loopback ports with its own
 * Hazelcast member on free loopback ports, sharing one real PostgreSQL database; Smack clients on different
 * nodes. The last test loses a node without goodbye (its Hazelcast member terminated, then its sockets
 * closed) and checks what the survivors do.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterTest {

    /** Members silent this long are lost (the settings allow 2 s at least). */
    private static final Duration FAILURE_TIMEOUT = Duration.ofSeconds(3);
    private static final String DOMAIN = TestServer.DOMAIN;
    private static final List<TestServer> nodes = new ArrayList<>();
    private static final List<Path> directories = new ArrayList<>();

    @BeforeAll
    static void startCluster() throws Exception {
        ServerSettings.StorageSettings database = TestPostgres.newDatabase();
        List<Integer> ports = List.of(freePort(), freePort(), freePort());
        List<String> members = ports.stream().map(p -> "127.0.0.1:" + p).toList();
        // The first node migrates the schema; the others start side by side.
        String name = "parley-test-" + ports.get(0);
        nodes.add(startNode(name, database, ports.get(0), members));
        List<CompletableFuture<TestServer>> others = new ArrayList<>();
        for (int i = 1; i < 3; i++) {
            int port = ports.get(i);
            others.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return startNode(name, database, port, members);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (CompletableFuture<TestServer> f : others) {
            nodes.add(f.get(60, TimeUnit.SECONDS));
        }
        for (TestServer node : nodes) {
            await(() -> node.server().cluster().hazelcast().getCluster().getMembers().size() == 3,
                    "all three members in the cluster");
        }
        // Partitions settle after the last join; a room's host is its partition's owner when first addressed.
        await(() -> nodes.get(0).server().cluster().hazelcast().getPartitionService().isClusterSafe(),
                "partition migrations done");
        TestServer first = nodes.get(0);
        for (String user : List.of("alice", "bob", "carol", "dave", "erin")) {
            first.createUser(user);
        }
        // alice ↔ bob and alice ↔ carol are mutual contacts (RFC 6121 §3: subscription both).
        befriend("alice", "bob");
        befriend("alice", "carol");
    }

    @AfterAll
    static void stopCluster() {
        nodes.forEach(TestServer::close);
        nodes.clear(); // static: a rerun of this class in the same JVM starts a fresh cluster, not the closed one
        for (Path dir : directories) {
            try (var paths = Files.walk(dir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // a leftover temporary directory is harmless
            }
        }
        directories.clear();
    }

    private static TestServer startNode(String name, ServerSettings.StorageSettings database, int port,
                                        List<String> members)
            throws Exception {
        Path dir = Files.createTempDirectory("parley-cluster-");
        directories.add(dir);
        return TestServer.startNode(dir, s -> s.withStorage(database),
                ClusterSettings.loopback(name, port, members, FAILURE_TIMEOUT, 0));
    }

    private static void befriend(String a, String b) {
        var rosters = nodes.get(0).server().storage().rosters();
        rosters.put(a, new RosterEntry(b + "@" + DOMAIN, null, "both", false, false, false, List.of()));
        rosters.put(b, new RosterEntry(a + "@" + DOMAIN, null, "both", false, false, false, List.of()));
    }

    @Test
    @Order(1)
    void messagesBetweenNodesArriveInOrder_rfc6120_10_1() throws Exception {
        XMPPTCPConnection dave = nodes.get(0).login("dave", "desk");
        XMPPTCPConnection erin = nodes.get(1).login("erin", "phone");
        try {
            BlockingQueue<Message> inbox = inbox(erin);
            erin.sendStanza(erin.getStanzaFactory().buildPresenceStanza().build());
            awaitRoute("erin", 1);
            int count = 300;
            for (int i = 0; i < count; i++) {
                dave.sendStanza(dave.getStanzaFactory().buildMessageStanza().to("erin@" + DOMAIN)
                        .ofType(Message.Type.chat).setBody("m" + i).build());
            }
            for (int i = 0; i < count; i++) {
                Message m = inbox.poll(20, TimeUnit.SECONDS);
                assertNotNull(m, "message " + i + " of " + count + " reached the other node");
                assertEquals("m" + i, m.getBody(), "RFC 6120 §10.1: one sender's stanzas in the order sent");
            }
            // And back, to the full JID on the first node.
            assertChatArrives(erin, dave, "reply", "a reply to a full JID served by another node");
        } finally {
            dave.disconnect();
            erin.disconnect();
        }
        awaitNoRoutes("dave");
        awaitNoRoutes("erin");
    }

    @Test
    @Order(2)
    void contactsOnOtherNodesSeePresence_rfc6121_4() throws Exception {
        XMPPTCPConnection bob = nodes.get(1).login("bob", "laptop");
        BlockingQueue<Presence> bobSees = presences(bob, "alice@" + DOMAIN);
        bob.sendStanza(bob.getStanzaFactory().buildPresenceStanza().build());
        awaitRoute("bob", 1);
        XMPPTCPConnection alice = nodes.get(0).login("alice", "desk");
        BlockingQueue<Presence> aliceSees = presences(alice, "bob@" + DOMAIN);
        try {
            alice.sendStanza(alice.getStanzaFactory().buildPresenceStanza().build());
            Presence ofBob = aliceSees.poll(20, TimeUnit.SECONDS);
            assertNotNull(ofBob, "RFC 6121 §4.2.2: the probe is answered from the other node");
            assertEquals(Presence.Type.available, ofBob.getType());
            Presence ofAlice = bobSees.poll(20, TimeUnit.SECONDS);
            assertNotNull(ofAlice, "RFC 6121 §4.2.2: initial presence reaches a contact on another node");
            assertEquals(Presence.Type.available, ofAlice.getType());

            bob.disconnect();
            Presence gone = aliceSees.poll(20, TimeUnit.SECONDS);
            assertNotNull(gone, "RFC 6121 §4.5.2: unavailable presence from the other node");
            assertEquals(Presence.Type.unavailable, gone.getType());
        } finally {
            alice.disconnect();
            bob.disconnect();
        }
        awaitNoRoutes("alice");
        awaitNoRoutes("bob");
    }

    @Test
    @Order(3)
    void aRoomOnAThirdNodeAndTheLossOfThatNode_xep0045() throws Exception {
        TestServer third = nodes.get(2);
        String thirdId = third.server().cluster().memberId();
        // A room whose JID the third node's partition owns: hosted there, while its occupants are elsewhere.
        String room = null;
        for (int i = 0; room == null; i++) {
            String candidate = "hall" + i + "@conference." + DOMAIN;
            if (third.server().cluster().hazelcast().getPartitionService().getPartition(candidate).getOwner()
                    .getUuid().toString().equals(thirdId)) {
                room = candidate;
            }
        }
        EntityBareJid roomJid = JidCreate.entityBareFrom(room);
        XMPPTCPConnection alice = nodes.get(0).login("alice", "desk");
        XMPPTCPConnection bob = nodes.get(1).login("bob", "laptop");
        XMPPTCPConnection carol = third.login("carol", "tablet");
        try {
            BlockingQueue<Presence> aliceSeesCarol = presences(alice, "carol@" + DOMAIN);
            BlockingQueue<Presence> aliceFromRoom = presences(alice, room);
            BlockingQueue<Presence> bobFromRoom = presences(bob, room);
            carol.sendStanza(carol.getStanzaFactory().buildPresenceStanza().build());
            // Carol's node has taken her presence before alice's probe reaches it (else the probe is answered
            // unavailable, RFC 6121 §4.3.2, and carol's broadcast went out before alice was available).
            awaitRoute("carol", 1);
            alice.sendStanza(alice.getStanzaFactory().buildPresenceStanza().build());
            Presence carolOnline = aliceSeesCarol.poll(20, TimeUnit.SECONDS);
            assertNotNull(carolOnline, "carol, on the third node, is seen online");
            assertEquals(Presence.Type.available, carolOnline.getType());

            MultiUserChat aliceRoom = MultiUserChatManager.getInstanceFor(alice).getMultiUserChat(roomJid);
            aliceRoom.create(Resourcepart.from("alice"));
            FillableForm answer = aliceRoom.getConfigurationForm().getFillableForm();
            answer.setAnswer("muc#roomconfig_persistentroom", true);
            aliceRoom.sendConfigurationForm(answer);
            aliceRoom.changeSubject("kept in the database");
            assertEquals(thirdId, nodes.get(0).server().cluster().hostOfRoom(new EntityImpl(roomJid.getLocalpart().toString(),
                    roomJid.getDomain().toString(), null)), "the room lives on the third node");

            MultiUserChat bobRoom = MultiUserChatManager.getInstanceFor(bob).getMultiUserChat(roomJid);
            BlockingQueue<Message> bobGroupchat = groupchat(bob, room);
            BlockingQueue<Message> aliceGroupchat = groupchat(alice, room);
            bobRoom.join(Resourcepart.from("bob"));
            aliceRoom.sendMessage("hello from the first node");
            assertEquals("hello from the first node", body(bobGroupchat, "hello from the first node"),
                    "§7.4: a message through a room on a third node reaches an occupant on the second");
            bobRoom.sendMessage("hello from the second node");
            assertEquals("hello from the second node", body(aliceGroupchat, "hello from the second node"));
            aliceFromRoom.clear();
            bobFromRoom.clear();
            aliceSeesCarol.clear();

            // The third node is lost: its member stops without a word, then its sockets close.
            third.server().cluster().hazelcast().getLifecycleService().terminate();
            third.close();
            nodes.remove(2);

            Presence carolGone = aliceSeesCarol.poll(30, TimeUnit.SECONDS);
            assertNotNull(carolGone, "the lost node's user turns unavailable for her contacts");
            assertEquals(Presence.Type.unavailable, carolGone.getType());
            assertTrue(lostRoom(aliceFromRoom), "XEP-0045 status 333 to an occupant on the first node");
            assertTrue(lostRoom(bobFromRoom), "XEP-0045 status 333 to an occupant on the second node");
            for (TestServer node : nodes) {
                await(() -> node.server().cluster().allRoutes().values().stream()
                        .flatMap(set -> set.routes().stream()).noneMatch(r -> r.member().equals(thirdId)),
                        "no route points at the lost node");
            }

            // The room comes back on a survivor, reloaded from the database, and everyone keeps talking.
            MultiUserChat again = MultiUserChatManager.getInstanceFor(bob).getMultiUserChat(roomJid);
            again.join(Resourcepart.from("bob"));
            assertEquals("kept in the database", again.getSubject(), "the persistent room's subject survived");
            String host = nodes.get(0).server().cluster().hostOfRoom(new EntityImpl(roomJid.getLocalpart().toString(),
                    roomJid.getDomain().toString(), null));
            assertNotEquals(thirdId, host, "re-homed on a survivor");
            assertChatArrives(alice, bob, "still here", "survivors keep serving");
        } finally {
            alice.disconnect();
            bob.disconnect();
            carol.disconnect();
        }
    }

    // ---- helpers ----

    /** A chat message to the addressee's full JID arrives there within 20 s, whichever node serves each side. */
    private static void assertChatArrives(XMPPTCPConnection from, XMPPTCPConnection to, String body, String what)
            throws Exception {
        BlockingQueue<Message> inbox = inbox(to);
        from.sendStanza(from.getStanzaFactory().buildMessageStanza().to(to.getUser())
                .ofType(Message.Type.chat).setBody(body).build());
        Message arrived = inbox.poll(20, TimeUnit.SECONDS);
        assertNotNull(arrived, what);
        assertEquals(body, arrived.getBody());
    }

    private static boolean lostRoom(BlockingQueue<Presence> fromRoom) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            Presence p = fromRoom.poll(1, TimeUnit.SECONDS);
            if (p != null && p.getType() == Presence.Type.unavailable && p.toXML().toString().contains("333")) {
                return true;
            }
        }
        return false;
    }

    private static String body(BlockingQueue<Message> queue, String wanted) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            Message m = queue.poll(1, TimeUnit.SECONDS);
            if (m != null && wanted.equals(m.getBody())) {
                return m.getBody();
            }
        }
        return null;
    }

    private static BlockingQueue<Message> inbox(XMPPTCPConnection c) {
        BlockingQueue<Message> queue = new LinkedBlockingQueue<>();
        // A sync listener: Smack calls async listeners concurrently, which would reorder what arrived in order.
        c.addSyncStanzaListener(s -> queue.add((Message) s),
                s -> s instanceof Message m && m.getType() == Message.Type.chat && m.getBody() != null);
        return queue;
    }

    private static BlockingQueue<Message> groupchat(XMPPTCPConnection c, String room) {
        BlockingQueue<Message> queue = new LinkedBlockingQueue<>();
        c.addSyncStanzaListener(s -> queue.add((Message) s), s -> s instanceof Message m
                && m.getType() == Message.Type.groupchat && m.getFrom() != null
                && m.getFrom().asBareJid().toString().equals(room));
        return queue;
    }

    private static BlockingQueue<Presence> presences(XMPPTCPConnection c, String fromBare) {
        BlockingQueue<Presence> queue = new LinkedBlockingQueue<>();
        c.addSyncStanzaListener(s -> queue.add((Presence) s), s -> s instanceof Presence p && p.getFrom() != null
                && p.getFrom().asBareJid().toString().equals(fromBare));
        return queue;
    }

    private static void awaitRoute(String user, int count) {
        for (TestServer node : nodes) {
            await(() -> node.server().cluster().routesOf(new EntityImpl(user, DOMAIN, null)).stream()
                    .filter(Route::available).count() == count, user + "'s routes seen by every node");
        }
    }

    private static void awaitNoRoutes(String user) {
        for (TestServer node : nodes) {
            await(() -> node.server().cluster().routesOf(new EntityImpl(user, DOMAIN, null)).isEmpty(),
                    user + "'s routes gone on every node");
        }
    }


    private static int freePort() throws java.io.IOException {
        return org.parley.server.testing.MemberPorts.free();
    }
}
