package org.parley.server.cluster;

import static org.parley.server.cluster.ClusterWaits.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.Presence;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.parley.server.config.ClusterSettings;
import org.parley.server.config.ServerSettings;
import org.parley.server.storage.RosterEntry;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestPostgres;
import org.parley.server.testing.TestServer;

/**
 * Issue 19: XEP-0198 §5 stream resumption on another node of the cluster. Two Parley nodes in one JVM share a
 * real PostgreSQL database; a Smack client reaches them through a TCP forwarder (what a load balancer in front
 * of a cluster does), so its connection drops on one node and comes back on the other with the same
 * resumption id. The failure paths run as raw transcripts.
 */
class ClusterResumptionTest {

    private static final Duration FAILURE_TIMEOUT = Duration.ofSeconds(3);
    /** Short enough for the expiry test, long enough for a loaded machine's reconnection. */
    private static final Duration RESUMPTION_TIMEOUT = Duration.ofSeconds(8);
    private static final String DOMAIN = TestServer.DOMAIN;
    private static final List<TestServer> nodes = new ArrayList<>();
    private static final List<Path> directories = new ArrayList<>();
    private static Forwarder forwarder;

    @BeforeAll
    static void startCluster() throws Exception {
        ServerSettings.StorageSettings database = TestPostgres.newDatabase();
        List<Integer> ports = List.of(MemberPortsHolder.free(), MemberPortsHolder.free());
        List<String> members = ports.stream().map(p -> "127.0.0.1:" + p).toList();
        String name = "parley-sm-test-" + ports.get(0);
        nodes.add(startNode(name, database, ports.get(0), members));
        nodes.add(startNode(name, database, ports.get(1), members));
        for (TestServer node : nodes) {
            await(() -> node.server().cluster().hazelcast().getCluster().getMembers().size() == 2,
                    "both members in the cluster");
        }
        for (String user : List.of("romeo", "juliet", "nurse", "tybalt", "mercutio")) {
            nodes.get(0).createUser(user);
        }
        var rosters = nodes.get(0).server().storage().rosters();
        rosters.put("romeo", new RosterEntry("nurse@" + DOMAIN, null, "both", false, false, false, List.of()));
        rosters.put("nurse", new RosterEntry("romeo@" + DOMAIN, null, "both", false, false, false, List.of()));
        forwarder = new Forwarder(nodes.get(0).server().c2sPort());
    }

    @AfterAll
    static void stopCluster() throws IOException {
        if (forwarder != null) {
            forwarder.close();
        }
        nodes.forEach(TestServer::close);
        nodes.clear();
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
                                        List<String> members) throws Exception {
        Path dir = Files.createTempDirectory("parley-cluster-sm-");
        directories.add(dir);
        return TestServer.startNode(dir, s -> s.withStorage(database)
                        .withSm(new ServerSettings.Sm(RESUMPTION_TIMEOUT)),
                ClusterSettings.loopback(name, port, members, FAILURE_TIMEOUT, 0));
    }

    @Test
    void xep0198_5_aStreamDroppedOnOneNodeResumesOnAnotherWithNothingLostOrTwiceAndNoPresenceFlap()
            throws Exception {
        TestServer a = nodes.get(0);
        TestServer b = nodes.get(1);
        forwarder.target(a.server().c2sPort());
        XMPPTCPConnection romeo = new XMPPTCPConnection(a.config("romeo").setResource("phone")
                .setPort(forwarder.port()).setCustomX509TrustManager(trustBoth()).build());
        romeo.setUseStreamManagement(true);
        romeo.setUseStreamManagementResumption(true);
        romeo.setReplyTimeout(10_000);
        XMPPTCPConnection juliet = b.login("juliet", "balcony");
        XMPPTCPConnection nurse = a.login("nurse", "kitchen");
        try {
            BlockingQueue<String> romeoInbox = bodies(romeo);
            BlockingQueue<String> julietInbox = bodies(juliet);
            BlockingQueue<String> nurseInbox = bodies(nurse);
            BlockingQueue<Presence> nurseSeesRomeo = new LinkedBlockingQueue<>();
            nurse.addSyncStanzaListener(s -> nurseSeesRomeo.add((Presence) s), s -> s instanceof Presence p
                    && p.getFrom() != null && p.getFrom().asBareJid().toString().equals("romeo@" + DOMAIN));
            nurse.sendStanza(nurse.getStanzaFactory().buildPresenceStanza().build());
            romeo.connect().login();
            assertTrue(romeo.isSmResumptionPossible(), "§5: resumption offered");
            romeo.sendStanza(romeo.getStanzaFactory().buildPresenceStanza().build());
            // (A probe answer from before romeo came online, RFC 6121 §4.3.2, may come first.)
            Presence available;
            do {
                available = nurseSeesRomeo.poll(20, TimeUnit.SECONDS);
                assertNotNull(available, "RFC 6121 §4.2.2: the contact sees romeo come online");
            } while (available.getType() != Presence.Type.available);
            assertTrue(nurseSeesRomeo.isEmpty());
            String romeoJid = romeo.getUser().toString();

            send(juliet, romeoJid, "before");
            assertEquals("before", romeoInbox.poll(20, TimeUnit.SECONDS));

            romeo.instantShutdown(); // the socket just goes: no </stream>, no unavailable presence
            // Sent to the full JID from the other node while romeo is away: queued on the old node.
            for (int i = 1; i <= 5; i++) {
                send(juliet, romeoJid, "away" + i);
            }
            // The same way (node B's topic to node A, in order): once nurse has this, A has queued the five.
            send(juliet, nurse.getUser().toString(), "barrier");
            assertEquals("barrier", nurseInbox.poll(20, TimeUnit.SECONDS));
            // Smack queues this one and sends it again after resuming.
            send(romeo, juliet.getUser().toString(), "queued by romeo");

            forwarder.target(b.server().c2sPort()); // the client comes back through the balancer to node B
            romeo.connect().login();
            assertTrue(romeo.streamWasResumed(), "§5: the same session, resumed on the other node");
            for (int i = 1; i <= 5; i++) {
                assertEquals("away" + i, romeoInbox.poll(20, TimeUnit.SECONDS), "§5: what was not acknowledged, in order");
            }
            assertEquals("queued by romeo", julietInbox.poll(20, TimeUnit.SECONDS));

            String bId = b.server().cluster().memberId();
            for (TestServer node : nodes) {
                await(() -> {
                    List<Route> routes = node.server().cluster().routesOf(new EntityImpl("romeo", DOMAIN, null));
                    return routes.size() == 1 && routes.get(0).member().equals(bId) && routes.get(0).available()
                            && routes.get(0).resource().equals("phone");
                }, "romeo's one route now points at node B, still available");
            }
            assertTrue(a.server().cluster().routesOf(new EntityImpl("romeo", DOMAIN, null)).stream()
                    .noneMatch(r -> r.member().equals(a.server().cluster().memberId())));

            send(juliet, romeoJid, "after");
            // Received before nurse sends: two senders on two nodes have no order between them (RFC 6120 §10.1
            // orders one sender's stanzas), and under load nurse's could come first (seen in 1 of 8 repeats).
            assertEquals("after", romeoInbox.poll(20, TimeUnit.SECONDS));
            send(nurse, romeoJid, "from the old node");
            assertEquals("from the old node", romeoInbox.poll(20, TimeUnit.SECONDS),
                    "a sender on the old node reaches romeo on the new one");
            // A message from romeo to the contact goes after any presence the hand-over could have sent her.
            send(romeo, nurse.getUser().toString(), "still here");
            assertEquals("still here", nurseInbox.poll(20, TimeUnit.SECONDS));
            assertNoUnavailable(nurseSeesRomeo);

            // And back again (B → A): the id now names a node that no longer holds the session.
            romeo.instantShutdown();
            send(juliet, romeoJid, "away again");
            forwarder.target(a.server().c2sPort());
            romeo.connect().login();
            assertTrue(romeo.streamWasResumed(), "§5: resumed a second time, on the first node again");
            assertEquals("away again", romeoInbox.poll(20, TimeUnit.SECONDS));
            send(juliet, romeoJid, "last");
            assertEquals("last", romeoInbox.poll(20, TimeUnit.SECONDS));
            assertNull(romeoInbox.poll(500, TimeUnit.MILLISECONDS), "nothing twice");
            send(romeo, nurse.getUser().toString(), "still here again");
            assertEquals("still here again", nurseInbox.poll(20, TimeUnit.SECONDS));
            assertNoUnavailable(nurseSeesRomeo);
        } finally {
            romeo.disconnect();
            juliet.disconnect();
            nurse.disconnect();
        }
    }

    @Test
    void xep0198_5_unknownForeignOrExpiredIdsFailWithItemNotFoundAndNothingIsLost() throws Exception {
        TestServer a = nodes.get(0);
        TestServer b = nodes.get(1);
        String id;
        try (RawClient tybalt = RawClient.loggedIn(a, "tybalt")) {
            tybalt.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/>");
            tybalt.await("<enabled");
            tybalt.await("</enabled>");
            Matcher enabled = Pattern.compile("<enabled[^>]*id='([^']+)'").matcher(tybalt.received().replace('"', '\''));
            assertTrue(enabled.find(), tybalt.received());
            id = enabled.group(1);
            assertEquals(a.server().cluster().memberId(), ClusterResumption.memberOf(id),
                    "the resumption id names the node holding the session");
            tybalt.send("<presence/>");
        } // closed without </stream>: detached on node A
        // Another account cannot take it over (§5: the same account only), from any node.
        try (RawClient juliet = authenticated(b, "juliet")) {
            juliet.send("<resume xmlns='urn:xmpp:sm:3' previd='" + id + "' h='0'/>");
            assertTrue(juliet.await("</failed>").contains("item-not-found"), juliet.received());
        }
        // An id naming no member (its node gone) fails at once; the client can still bind a fresh session.
        try (RawClient tybalt = authenticated(b, "tybalt")) {
            String gone = ClusterResumption.tag(UUID.randomUUID()) + ".nosuchsession";
            tybalt.send("<resume xmlns='urn:xmpp:sm:3' previd='" + gone + "' h='0'/>");
            assertTrue(tybalt.await("</failed>").contains("item-not-found"), tybalt.received());
            tybalt.clear();
            tybalt.send("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                    + "<resource>fresh</resource></bind></iq>");
            assertTrue(tybalt.await("</iq>").contains("tybalt@" + DOMAIN + "/fresh"), tybalt.received());
        }
        // Sent while tybalt/raw waits on node A; when its timeout ends the session, this goes to offline storage.
        try (RawClient juliet = RawClient.loggedIn(b, "juliet")) {
            juliet.send("<message to='tybalt@" + DOMAIN + "/raw' type='chat' id='w1'><body>while detached</body>"
                    + "</message><iq type='get' id='ping'><ping xmlns='urn:xmpp:ping'/></iq>");
            juliet.await("ping");
        }
        await(() -> b.server().cluster().routesOf(new EntityImpl("tybalt", DOMAIN, null)).stream()
                .noneMatch(r -> r.resource().equals("raw")), "tybalt/raw's session expired on node A");
        try (RawClient tybalt = authenticated(b, "tybalt")) {
            tybalt.send("<resume xmlns='urn:xmpp:sm:3' previd='" + id + "' h='0'/>");
            assertTrue(tybalt.await("</failed>").contains("item-not-found"), "§5: an expired session: "
                    + tybalt.received());
        }
        List<String> later = b.messagesOnLogin("tybalt", 1);
        assertEquals(List.of("while detached"), later, "the expired session's queue went to offline storage");
    }

    @Test
    void xep0198_5_anOldNodeThatDoesNotAnswerInTimeGivesItemNotFoundAndItsQueueIsNotLost() throws Exception {
        TestServer a = nodes.get(0);
        TestServer b = nodes.get(1);
        String id;
        try (RawClient mercutio = RawClient.loggedIn(a, "mercutio")) {
            mercutio.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/>");
            mercutio.await("<enabled");
            mercutio.await("</enabled>");
            Matcher enabled = Pattern.compile("<enabled[^>]*id='([^']+)'").matcher(mercutio.received().replace('"', '\''));
            assertTrue(enabled.find(), mercutio.received());
            id = enabled.group(1);
        } // dropped without </stream>
        try (RawClient juliet = RawClient.loggedIn(b, "juliet")) {
            juliet.send("<message to='mercutio@" + DOMAIN + "/raw' type='chat' id='w2'><body>a plague</body></message>"
                    + "<iq type='get' id='ping'><ping xmlns='urn:xmpp:ping'/></iq>");
            juliet.await("ping");
        }
        // Node A's hand-over executor is busy: the request waits there longer than node B waits for it.
        var hzA = a.server().cluster().hazelcast();
        int threads = hzA.getConfig().getExecutorConfig(ClusterResumption.EXECUTOR).getPoolSize();
        Busy.started = new java.util.concurrent.CountDownLatch(threads);
        Busy.gate = new java.util.concurrent.CountDownLatch(1);
        var executor = b.server().cluster().hazelcast().getExecutorService(ClusterResumption.EXECUTOR);
        for (int i = 0; i < threads; i++) {
            executor.submitToMember(new Busy(), hzA.getCluster().getLocalMember());
        }
        try {
            assertTrue(Busy.started.await(30, TimeUnit.SECONDS), "node A's executor threads all busy");
            try (RawClient mercutio = authenticated(b, "mercutio")) {
                long start = System.nanoTime();
                mercutio.send("<resume xmlns='urn:xmpp:sm:3' previd='" + id + "' h='0'/>");
                assertTrue(mercutio.await("</failed>", Duration.ofSeconds(30)).contains("item-not-found"),
                        mercutio.received());
                long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertTrue(waited >= ClusterResumption.TIMEOUT.toMillis() - 100, "failed only after the wait: " + waited);
                Busy.gate.countDown();
                mercutio.clear();
                mercutio.send("<iq type='set' id='b2'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                        + "<resource>fresh</resource></bind></iq><presence/>");
                assertTrue(mercutio.await("</iq>").contains("mercutio@" + DOMAIN + "/fresh"), mercutio.received());
                // Whether node A hands the session out late (never confirmed, so it ends it) or its timeout ends
                // it first, the message it held goes to the account's available resource (RFC 6121 §8.5.2).
                assertTrue(mercutio.await("a plague", Duration.ofSeconds(60)).contains("a plague"));
            }
        } finally {
            Busy.gate.countDown();
        }
    }

    /** Occupies one thread of node A's hand-over executor until the test opens the gate. */
    static final class Busy implements java.util.concurrent.Callable<Boolean>, java.io.Serializable {
        static volatile java.util.concurrent.CountDownLatch started;
        static volatile java.util.concurrent.CountDownLatch gate;

        @Override
        public Boolean call() throws InterruptedException {
            started.countDown();
            return gate.await(60, TimeUnit.SECONDS);
        }
    }

    // ---- helpers ----

    /**
     * No presence flap: the contact saw romeo go unavailable at no point (RFC 6121 §4.5.2 is owed only when the
     * session ends, and a resumed session did not end).
     */
    private static void assertNoUnavailable(BlockingQueue<Presence> seen) {
        List<Presence> all = new ArrayList<>();
        seen.drainTo(all);
        assertTrue(all.stream().noneMatch(p -> p.getType() == Presence.Type.unavailable),
                "the contact saw romeo go unavailable: " + all);
    }

    private static void send(XMPPTCPConnection from, String to, String body) throws Exception {
        from.sendStanza(from.getStanzaFactory().buildMessageStanza().to(to).ofType(Message.Type.chat)
                .setBody(body).build());
    }

    private static BlockingQueue<String> bodies(XMPPTCPConnection c) {
        BlockingQueue<String> queue = new LinkedBlockingQueue<>();
        // A sync listener: Smack calls async listeners concurrently, which would reorder what arrived in order.
        c.addSyncStanzaListener(s -> queue.add(((Message) s).getBody()),
                s -> s instanceof Message m && m.getBody() != null);
        return queue;
    }

    /** Direct TLS, SASL PLAIN and the restarted stream, without binding: ready for {@code <resume/>}. */
    private static RawClient authenticated(TestServer node, String user) throws IOException {
        RawClient client = RawClient.directTls(node.server().directTlsPort(), node.clientSslContext());
        client.openStream().await("</stream:features>");
        String plain = java.util.Base64.getEncoder().encodeToString(("\0" + user + "\0" + TestServer.PASSWORD)
                .getBytes(StandardCharsets.UTF_8));
        client.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + plain + "</auth>")
                .await("<success");
        client.clear();
        client.openStream().await("</stream:features>");
        client.clear();
        return client;
    }

    /** Trusts both nodes' certificates: the client may reach either. */
    private static X509TrustManager trustBoth() throws Exception {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        int i = 0;
        for (TestServer node : nodes) {
            X509Certificate certificate = node.server().certificate();
            store.setCertificateEntry("node" + i++, certificate);
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        return (X509TrustManager) factory.getTrustManagers()[0];
    }


    private static final class MemberPortsHolder {
        static int free() throws IOException {
            return org.parley.server.testing.MemberPorts.free();
        }
    }

    /**
     * A TCP forwarder on loopback, like a load balancer in front of the cluster: each connection goes to the node
     * set when it is accepted; when either side closes, so does the other (no closing tag is made up).
     */
    static final class Forwarder implements AutoCloseable {
        private final ServerSocket listener;
        private volatile int target;
        private final List<Socket> sockets = new java.util.concurrent.CopyOnWriteArrayList<>();

        Forwarder(int target) throws IOException {
            this.target = target;
            this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread accept = new Thread(this::accept, "test-forwarder");
            accept.setDaemon(true);
            accept.start();
        }

        int port() {
            return listener.getLocalPort();
        }

        void target(int port) {
            target = port;
        }

        private void accept() {
            while (!listener.isClosed()) {
                try {
                    Socket client = listener.accept();
                    Socket server = new Socket(InetAddress.getLoopbackAddress(), target);
                    sockets.add(client);
                    sockets.add(server);
                    pump(client, server);
                    pump(server, client);
                } catch (IOException e) {
                    // listener closed, or the node refused: the client sees its connection fail
                }
            }
        }

        private static void pump(Socket from, Socket to) {
            CompletableFuture.runAsync(() -> {
                byte[] buffer = new byte[16384];
                try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                    int n;
                    while ((n = in.read(buffer)) >= 0) {
                        out.write(buffer, 0, n);
                        out.flush();
                    }
                } catch (IOException e) {
                    // one side went away
                } finally {
                    closeQuietly(from);
                    closeQuietly(to);
                }
            }, runnable -> {
                Thread t = new Thread(runnable, "test-forwarder-pump");
                t.setDaemon(true);
                t.start();
            });
        }

        private static void closeQuietly(Socket s) {
            try {
                s.close();
            } catch (IOException e) {
                // already closed
            }
        }

        @Override
        public void close() throws IOException {
            listener.close();
            sockets.forEach(Forwarder::closeQuietly);
        }
    }
}
