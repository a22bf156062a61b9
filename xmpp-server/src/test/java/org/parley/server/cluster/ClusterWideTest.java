package org.parley.server.cluster;

import static org.parley.server.cluster.ClusterWaits.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.jivesoftware.smack.ConnectionListener;
import org.jivesoftware.smack.XMPPException.StreamErrorException;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.Presence;
import org.jivesoftware.smack.packet.StanzaError;
import org.jivesoftware.smack.packet.StreamError;
import org.jivesoftware.smack.sasl.SASLErrorException;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.blocking.BlockingCommandManager;
import org.jivesoftware.smackx.carbons.CarbonManager;
import org.jivesoftware.smackx.commands.AdHocCommand;
import org.jivesoftware.smackx.commands.AdHocCommandManager;
import org.jivesoftware.smackx.commands.AdHocCommandResult;
import org.jivesoftware.smackx.xdata.FormField;
import org.jivesoftware.smackx.xdata.form.FillableForm;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.jxmpp.jid.impl.JidCreate;
import org.parley.server.abuse.GuardTweak;
import org.parley.server.config.ClusterSettings;
import org.parley.server.config.ServerSettings;
import org.parley.server.storage.RosterEntry;
import org.parley.server.testing.MemberPorts;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestPostgres;
import org.parley.server.testing.TestServer;
import org.parley.server.upload.HttpUploads;

/**
 * Issue 19, what must count or hold on every node alike: two Parley nodes in one JVM on one real PostgreSQL,
 * each with its own data directory (so its own local slot key), clients over real sockets from chosen loopback
 * addresses. Whatever an attacker spreads over the nodes is counted as on one node.
 */
class ClusterWideTest {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final String DOMAIN = TestServer.DOMAIN;
    private static final String ADMIN = "http://jabber.org/protocol/admin";
    private static final String PARLEY = "urn:parley:admin:0";
    private static final List<TestServer> nodes = new ArrayList<>();
    private static final List<Path> directories = new ArrayList<>();

    @BeforeAll
    static void startCluster() throws Exception {
        ServerSettings.StorageSettings database = TestPostgres.newDatabase();
        List<Integer> ports = List.of(MemberPorts.free(), MemberPorts.free());
        List<String> members = ports.stream().map(p -> "127.0.0.1:" + p).toList();
        String name = "parley-wide-" + ports.get(0);
        for (int port : ports) { // one after the other: the first migrates the schema
            Path dir = Files.createTempDirectory("parley-wide-");
            directories.add(dir);
            nodes.add(TestServer.startNode(dir, s -> GuardTweak.of(g -> g.authFailuresPerAddress = 5).apply(s)
                            .withStorage(database)
                            .withRegistration(new ServerSettings.Registration(true, 2))
                            .withUpload(new ServerSettings.Upload(true, "upload", 10_000, 100_000,
                                    Duration.ofMinutes(5), Duration.ZERO, URI.create("https://files.example.org/up"))),
                    ClusterSettings.loopback(name, port, members, Duration.ofSeconds(3), 0)));
        }
        for (TestServer node : nodes) {
            await(() -> node.server().cluster().hazelcast().getCluster().getMembers().size() == 2, "both members joined");
        }
        for (String user : List.of("bob", "alice", "admin", "carol", "dave", "frank", "grace", "henry", "ivan", "judy", "kate", "leo")) {
            nodes.get(0).createUser(user);
        }
        var rosters = nodes.get(0).server().storage().rosters(); // kate and leo: mutual contacts (RFC 6121 §3)
        rosters.put("kate", new RosterEntry("leo@" + DOMAIN, null, "both", false, false, false, List.of()));
        rosters.put("leo", new RosterEntry("kate@" + DOMAIN, null, "both", false, false, false, List.of()));
    }

    @AfterAll
    static void stopCluster() {
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

    private static RawClient connect(TestServer node, String from) throws Exception {
        RawClient client = new RawClient(node.server().directTlsPort(), from);
        client.upgradeToTls(node.clientSslContext());
        return client;
    }

    private static String plain(String user, String password) {
        return "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + Base64.getEncoder()
                .encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8)) + "</auth>";
    }

    /** One failed attempt; returns how long the answer took, in milliseconds. */
    private static long fail(RawClient client, String user) throws Exception {
        client.clear();
        long started = System.nanoTime();
        client.send(plain(user, "wrong-guess"));
        client.await("</failure>", WAIT);
        return (System.nanoTime() - started) / 1_000_000;
    }

    /**
     * XEP-0205 §4 across nodes: failures from one address split over two nodes are delayed and lead to the ban at
     * the same count as on one node (5 here, as BruteForceTest on one server); the ban holds on both nodes and
     * both list it.
     */
    @Test
    void failedLoginsSplitOverTwoNodesTripTheBanAtTheSameCount() throws Exception {
        String attacker = "127.0.0.12";
        TestServer one = nodes.get(0);
        TestServer two = nodes.get(1);
        try (RawClient a = connect(one, attacker)) {
            a.openStream().await("</stream:features>");
            fail(a, "bob");
            fail(a, "bob");
        }
        try (RawClient b = connect(two, attacker)) {
            b.openStream().await("</stream:features>");
            long third = fail(b, "bob");
            assertTrue(third >= 200, "the third failure, the first on node 2, is delayed: " + third + " ms");
            long fourth = fail(b, "bob");
            assertTrue(fourth >= 400, "the delay grows with the failures on both nodes: " + fourth + " ms");
        }
        try (RawClient a = connect(one, attacker)) {
            a.openStream().await("</stream:features>");
            a.clear();
            a.send(plain("bob", "wrong-guess"));
            a.await("<policy-violation", WAIT);
            assertTrue(a.received().contains("too many failed authentications"), a.received());
        }
        for (TestServer node : nodes) {
            // Banned everywhere: a new connection from that address is refused at once, on either node.
            try (RawClient c = connect(node, attacker)) {
                c.await("<policy-violation", WAIT);
                assertTrue(c.awaitClosed(WAIT));
            }
            assertTrue(node.server().guard().auth().bans().stream().anyMatch(b -> b.address().equals(attacker)),
                    "every node's security page lists the ban");
        }
        // The owner, from another address, still logs in on either node (delayed by the account's failures).
        try (RawClient owner = connect(two, "127.0.0.1")) {
            owner.openStream().await("</stream:features>");
            owner.send(plain("bob", TestServer.PASSWORD));
            owner.await("<success", WAIT);
        }
    }

    private static String register(TestServer node, String from, String user) throws Exception {
        try (RawClient c = connect(node, from)) {
            c.openStream().await("</stream:features>");
            c.clear();
            c.send("<iq type='set' id='r-" + user + "'><query xmlns='jabber:iq:register'><username>" + user
                    + "</username><password>secret-" + user + "</password></query></iq>");
            return c.await("</iq>", WAIT);
        }
    }

    /** XEP-0077 with XEP-0205 §4: the hourly registrations per address (2 here) are counted on both nodes together. */
    @Test
    void registrationsFromOneAddressAreCountedOnBothNodes() throws Exception {
        String from = "127.0.0.13";
        assertTrue(register(nodes.get(0), from, "wide1").contains("type=\"result\""));
        // A taken name creates nothing and does not count (its slot is given back on the node that took it).
        assertTrue(register(nodes.get(1), from, "wide1").contains("<conflict"));
        assertTrue(register(nodes.get(1), from, "wide2").contains("type=\"result\""));
        String refused = register(nodes.get(0), from, "wide3");
        assertTrue(refused.contains("type=\"error\"") && refused.contains("resource-constraint"), refused);
        assertTrue(register(nodes.get(1), from, "wide4").contains("resource-constraint"));
        assertFalse(nodes.get(0).server().accounts().exists("wide3"));
        assertTrue(register(nodes.get(1), "127.0.0.14", "wide5").contains("type=\"result\""), "another address");
    }

    /**
     * XEP-0363 §4-§6: a slot requested from node 1 is accepted by node 2's upload handler (the gateway's PUT calls
     * {@link HttpUploads#put}), although each node's own key, from its data directory, differs.
     */
    @Test
    void aSlotIssuedOnOneNodeIsAcceptedByAnother_xep0363() throws Exception {
        HttpUploads one = nodes.get(0).server().uploads();
        HttpUploads two = nodes.get(1).server().uploads();
        assertFalse(Arrays.equals(one.localKey(), two.localKey()), "the nodes' own keys differ");
        String answer;
        try (RawClient c = RawClient.loggedIn(nodes.get(0), "alice")) {
            c.send("<iq type='get' id='slot' to='upload.localhost'><request xmlns='urn:xmpp:http:upload:0' "
                    + "filename='note.txt' size='5' content-type='text/plain'/></iq>");
            answer = c.await("</iq>", WAIT);
        }
        Matcher m = Pattern.compile("<put url=\"https://files\\.example\\.org/up/([A-Za-z0-9_-]{22})/note\\.txt"
                + "\\?token=([A-Za-z0-9_.-]+)\"").matcher(answer);
        assertTrue(m.find(), answer);
        String id = m.group(1);
        String token = URLDecoder.decode(m.group(2), StandardCharsets.UTF_8);
        assertEquals(403, two.put(id, "note.txt", token.substring(0, token.length() - 2) + "AA", 5, "text/plain",
                new ByteArrayInputStream("hello".getBytes(StandardCharsets.UTF_8))).status(),
                "a damaged token is still refused");
        HttpUploads.PutResult put = two.put(id, "note.txt", token, 5, "text/plain",
                new ByteArrayInputStream("hello".getBytes(StandardCharsets.UTF_8)));
        assertEquals(201, put.status(), put.message());
        assertTrue(two.find(id, "note.txt").isPresent());
        assertNull(two.requestSlot("alice@" + DOMAIN, "x.txt", "1", null).refusal(), "node 2 signs slots too");
    }

    private static AdHocCommandResult run(XMPPTCPConnection c, String node, String field, String jid) throws Exception {
        AdHocCommand command = AdHocCommandManager.getInstance(c).getRemoteCommand(JidCreate.from(DOMAIN), node);
        if (field == null) {
            return command.execute();
        }
        FillableForm form = command.execute().asExecutingOrThrow().getFillableForm();
        if (form.getField(field).getType() == FormField.Type.jid_multi) {
            form.setAnswer(field, List.of(jid));
        } else {
            form.setAnswer(field, jid);
        }
        return command.complete(form.getSubmitForm());
    }

    private static List<String> values(AdHocCommandResult result, String var) {
        FormField field = result.getResponse().getForm().getField(var);
        assertNotNull(field, var + " in " + result.getResponse().getForm().toXML());
        return field.getValues().stream().map(CharSequence::toString).toList();
    }

    /**
     * XEP-0133 across nodes: an administrator on node 1 sees a user online on node 2 (count, list, Parley's
     * session list), the cluster's members in #stats, ends that user's session on node 2 (RFC 6120 §4.9.3.15
     * policy-violation reaches the client), and a user disabled on node 1 cannot log in on node 2.
     */
    @Test
    void adminCommandsOnOneNodeSeeAndActOnSessionsOfTheOther_xep0133() throws Exception {
        XMPPTCPConnection admin = nodes.get(0).login("admin", "console");
        XMPPTCPConnection carol = nodes.get(1).login("carol", "phone");
        CountDownLatch carolEnded = new CountDownLatch(1);
        AtomicReference<Exception> why = new AtomicReference<>();
        carol.addConnectionListener(new ConnectionListener() {
            @Override
            public void connectionClosedOnError(Exception e) {
                why.set(e);
                carolEnded.countDown();
            }
        });
        try {
            await(() -> nodes.get(0).server().cluster().routesOf(new EntityImpl("carol", DOMAIN, null)).size() == 1,
                    "carol's route seen on node 1");
            assertTrue(values(run(admin, ADMIN + "#get-online-users-list", null, null), "onlineuserjids")
                    .containsAll(List.of("carol@" + DOMAIN, "admin@" + DOMAIN)), "§4.23: users on both nodes");
            assertEquals(List.of("2"), values(run(admin, ADMIN + "#get-online-users-num", null, null), "onlineusersnum"));
            String sessions = run(admin, PARLEY + "#sessions", "accountjid", "carol@" + DOMAIN).getResponse()
                    .getForm().toXML().toString();
            assertTrue(sessions.contains("carol@" + DOMAIN + "/phone") && sessions.contains("node 127.0.0.1:"), sessions);
            AdHocCommandResult stats = run(admin, PARLEY + "#stats", null, null);
            assertEquals(List.of("2"), values(stats, "cluster-members"));
            assertEquals(List.of("2"), values(stats, "cluster-sessions"));
            assertTrue(values(stats, "cluster-node-1").get(0).contains(" sessions, "), stats.getResponse().getForm().toXML().toString());

            String note = run(admin, ADMIN + "#end-user-session", "accountjids", "carol@" + DOMAIN).getResponse()
                    .getNotes().get(0).getValue();
            assertEquals("1 session ended.", note);
            assertTrue(carolEnded.await(20, TimeUnit.SECONDS), "carol's session on node 2 ended");
            assertTrue(why.get() instanceof StreamErrorException se
                    && se.getStreamError().getCondition() == StreamError.Condition.policy_violation, String.valueOf(why.get()));

            run(admin, ADMIN + "#disable-user", "accountjids", "dave@" + DOMAIN);
            XMPPTCPConnection dave = new XMPPTCPConnection(nodes.get(1).config("dave").build());
            try {
                dave.connect();
                assertThrows(SASLErrorException.class, dave::login, "disabled on node 1, refused on node 2");
            } finally {
                dave.disconnect();
            }
            run(admin, ADMIN + "#reenable-user", "accountjids", "dave@" + DOMAIN);
        } finally {
            admin.disconnect();
            carol.disconnect();
        }
    }

    /**
     * XEP-0191 §3.6 across nodes: grace (node 2) writes to frank (node 1), so node 2's relay has frank's block list
     * cached; frank blocks grace on node 1; grace's next message is refused by node 2's relay at once (an error
     * back to her), because node 1 told node 2 to forget its copy before it confirmed the block.
     */
    @Test
    void aBlockMadeOnOneNodeHoldsOnTheSenderNodeAtOnce_xep0191() throws Exception {
        XMPPTCPConnection frank = nodes.get(0).login("frank", "desk");
        XMPPTCPConnection grace = nodes.get(1).login("grace", "phone");
        try {
            java.util.concurrent.BlockingQueue<Message> frankGets = new java.util.concurrent.LinkedBlockingQueue<>();
            frank.addSyncStanzaListener(m -> frankGets.add((Message) m),
                    m -> m instanceof Message msg && msg.getBody() != null);
            java.util.concurrent.BlockingQueue<Message> graceErrors = new java.util.concurrent.LinkedBlockingQueue<>();
            grace.addSyncStanzaListener(m -> graceErrors.add((Message) m),
                    m -> m instanceof Message msg && msg.getType() == Message.Type.error);
            await(() -> nodes.get(1).server().cluster().routesOf(new EntityImpl("frank", DOMAIN, null)).size() == 1,
                    "frank's route seen on node 2");
            grace.sendStanza(grace.getStanzaFactory().buildMessageStanza().to(frank.getUser())
                    .ofType(Message.Type.chat).setBody("before").build());
            Message before = frankGets.poll(20, TimeUnit.SECONDS);
            assertNotNull(before, "delivered across nodes before the block");
            assertEquals("before", before.getBody());

            BlockingCommandManager.getInstanceFor(frank).blockContacts(List.of(JidCreate.from("grace@" + DOMAIN)));
            grace.sendStanza(grace.getStanzaFactory().buildMessageStanza().to(frank.getUser())
                    .ofType(Message.Type.chat).setBody("after").build());
            Message refused = graceErrors.poll(20, TimeUnit.SECONDS);
            assertNotNull(refused, "the sender's node refused the message of a blocked sender");
            assertEquals(StanzaError.Condition.service_unavailable, refused.getError().getCondition());
            assertTrue(frankGets.isEmpty(), "nothing reached frank: " + frankGets);
        } finally {
            frank.disconnect();
            grace.disconnect();
        }
    }

    /**
     * XEP-0280 §6 across nodes: henry has a resource on each node, both with carbons enabled; a message ivan (node
     * 1) sends to henry's resource on node 1 is copied ("received") to henry's resource on node 2, and one henry
     * sends from node 2 is copied ("sent") to his resource on node 1.
     */
    @Test
    void carbonsReachTheAccountsResourcesOnOtherNodes_xep0280() throws Exception {
        XMPPTCPConnection desk = nodes.get(0).login("henry", "desk");
        XMPPTCPConnection phone = nodes.get(1).login("henry", "phone");
        XMPPTCPConnection ivan = nodes.get(0).login("ivan", "laptop");
        try {
            CarbonManager.getInstanceFor(desk).enableCarbons();
            CarbonManager.getInstanceFor(phone).enableCarbons();
            for (XMPPTCPConnection c : List.of(desk, phone, ivan)) {
                c.sendStanza(c.getStanzaFactory().buildPresenceStanza().build()); // copies go to available resources
            }
            java.util.concurrent.BlockingQueue<String> onPhone = new java.util.concurrent.LinkedBlockingQueue<>();
            java.util.concurrent.BlockingQueue<String> onDesk = new java.util.concurrent.LinkedBlockingQueue<>();
            CarbonManager.getInstanceFor(phone).addCarbonCopyReceivedListener((direction, copy, wrapper) ->
                    onPhone.add(direction + ":" + copy.getBody() + ":" + wrapper.getFrom()));
            CarbonManager.getInstanceFor(desk).addCarbonCopyReceivedListener((direction, copy, wrapper) ->
                    onDesk.add(direction + ":" + copy.getBody() + ":" + wrapper.getFrom()));
            for (TestServer node : nodes) {
                await(() -> node.server().cluster().routesOf(new EntityImpl("henry", DOMAIN, null)).stream()
                        .filter(Route::available).count() == 2, "both of henry's resources available everywhere");
            }
            ivan.sendStanza(ivan.getStanzaFactory().buildMessageStanza().to(desk.getUser())
                    .ofType(Message.Type.chat).setBody("to the desk").build());
            assertEquals("received:to the desk:henry@" + DOMAIN, onPhone.poll(20, TimeUnit.SECONDS),
                    "§6: a received copy on the other node, from the account's bare JID");
            phone.sendStanza(phone.getStanzaFactory().buildMessageStanza().to(ivan.getUser())
                    .ofType(Message.Type.chat).setBody("from the phone").build());
            assertEquals("sent:from the phone:henry@" + DOMAIN, onDesk.poll(20, TimeUnit.SECONDS),
                    "§6: a sent copy on the other node");
            assertNull(onPhone.poll(0, TimeUnit.SECONDS), "the sending resource gets no copy of its own message");
        } finally {
            desk.disconnect();
            phone.disconnect();
            ivan.disconnect();
        }
    }

    /**
     * RFC 6121 §4.2.2 and §4.5.2 across nodes: judy's resource on node 2 comes online while her resource on node 1
     * is available; each sees the other's presence, and the one on node 1 sees the other go unavailable.
     */
    @Test
    void anAccountsResourcesOnDifferentNodesSeeEachOthersPresence_rfc6121_4_2_2() throws Exception {
        XMPPTCPConnection desk = nodes.get(0).login("judy", "desk");
        java.util.concurrent.BlockingQueue<Presence> deskSees = new java.util.concurrent.LinkedBlockingQueue<>();
        desk.addSyncStanzaListener(p -> deskSees.add((Presence) p), p -> p instanceof Presence pr
                && pr.getFrom() != null && pr.getFrom().toString().equals("judy@" + DOMAIN + "/phone"));
        desk.sendStanza(desk.getStanzaFactory().buildPresenceStanza().setStatus("at my desk").build());
        for (TestServer node : nodes) {
            await(() -> node.server().cluster().routesOf(new EntityImpl("judy", DOMAIN, null)).stream()
                    .anyMatch(Route::available), "judy/desk available everywhere");
        }
        XMPPTCPConnection phone = nodes.get(1).login("judy", "phone");
        try {
            java.util.concurrent.BlockingQueue<Presence> phoneSees = new java.util.concurrent.LinkedBlockingQueue<>();
            phone.addSyncStanzaListener(p -> phoneSees.add((Presence) p), p -> p instanceof Presence pr
                    && pr.getFrom() != null && pr.getFrom().toString().equals("judy@" + DOMAIN + "/desk"));
            phone.sendStanza(phone.getStanzaFactory().buildPresenceStanza().build());
            Presence ofPhone = deskSees.poll(20, TimeUnit.SECONDS);
            assertNotNull(ofPhone, "the initial presence of the resource on node 2 reaches the one on node 1");
            assertEquals(Presence.Type.available, ofPhone.getType());
            Presence ofDesk = phoneSees.poll(20, TimeUnit.SECONDS);
            assertNotNull(ofDesk, "the new resource learns the presence of the one on node 1");
            assertEquals(Presence.Type.available, ofDesk.getType());
            assertEquals("at my desk", ofDesk.getStatus());

            phone.disconnect();
            Presence gone = deskSees.poll(20, TimeUnit.SECONDS);
            assertNotNull(gone, "§4.5.2: the resource on node 2 goes unavailable for the one on node 1");
            assertEquals(Presence.Type.unavailable, gone.getType());
        } finally {
            phone.disconnect();
            desk.disconnect();
        }
    }

    /**
     * XEP-0163 across nodes: leo (node 2) asks for a PEP node of kate that does not exist yet, so node 2 has kate's
     * service loaded; kate publishes through node 1, which creates the node (§7.1.3.x auto-create); leo's next
     * request through node 2 finds the node and the item.
     */
    @Test
    void aPepNodeCreatedThroughOneNodeIsFoundThroughAnother_xep0163() throws Exception {
        String query = "<iq type='get' id='q' to='kate@" + DOMAIN + "'><pubsub xmlns='http://jabber.org/protocol/pubsub'>"
                + "<items node='urn:example:cluster'/></pubsub></iq>";
        try (RawClient leo = RawClient.loggedIn(nodes.get(1), "leo");
             RawClient kate = RawClient.loggedIn(nodes.get(0), "kate")) {
            leo.send(query);
            assertTrue(leo.await("</iq>", WAIT).contains("<item-not-found"), leo.received());
            kate.send("<iq type='set' id='pub'><pubsub xmlns='http://jabber.org/protocol/pubsub'>"
                    + "<publish node='urn:example:cluster'><item id='one'><entry xmlns='urn:example:cluster'>hello"
                    + "</entry></item></publish></pubsub></iq>");
            assertTrue(kate.await("id=\"pub\"", WAIT).contains("type=\"result\""), kate.received());
            leo.clear();
            leo.send(query);
            String items = leo.await("</iq>", WAIT);
            assertTrue(items.contains("type=\"result\"") && items.contains(">hello</entry>"), items);
        }
    }

}
