package org.parley.server.pubsub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.XMPPConnection;
import org.jivesoftware.smack.XMPPException;
import org.jivesoftware.smack.packet.ExtensionElement;
import org.jivesoftware.smack.packet.IQ;
import org.jivesoftware.smack.packet.Presence;
import org.jivesoftware.smack.packet.StandardExtensionElement;
import org.jivesoftware.smack.packet.StanzaError;
import org.jivesoftware.smack.packet.XmlEnvironment;
import org.jivesoftware.smack.provider.ExtensionElementProvider;
import org.jivesoftware.smack.provider.ProviderManager;
import org.jivesoftware.smack.xml.XmlPullParser;
import org.jivesoftware.smack.xml.XmlPullParserException;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.disco.ServiceDiscoveryManager;
import org.jivesoftware.smackx.disco.packet.DiscoverInfo;
import org.jivesoftware.smackx.pep.PepManager;
import org.jivesoftware.smackx.pubsub.AccessModel;
import org.jivesoftware.smackx.pubsub.Item;
import org.jivesoftware.smackx.pubsub.LeafNode;
import org.jivesoftware.smackx.pubsub.PayloadItem;
import org.jivesoftware.smackx.pubsub.PubSubManager;
import org.jivesoftware.smackx.pubsub.form.ConfigureForm;
import org.jivesoftware.smackx.pubsub.form.FillableConfigureForm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jxmpp.jid.BareJid;
import org.jxmpp.jid.impl.JidCreate;
import org.parley.server.storage.RosterEntry;
import org.parley.server.testing.TestServer;

/** PEP (XEP-0163) and the pubsub service (XEP-0060) with real Smack clients. */
class PepAndPubSubTest {

    private static final String NODE = "urn:example:mood";
    private static final long TIMEOUT = 10;

    @TempDir
    Path data;

    private static StandardExtensionElement payload(String text) {
        return StandardExtensionElement.builder("mood", NODE).setText(text).build();
    }

    private static BareJid jid(String user) throws Exception {
        return JidCreate.bareFrom(user + "@" + TestServer.DOMAIN);
    }

    /** Mutual presence subscription, straight into storage (the roster protocol has its own tests). */
    private static void friends(TestServer server, String a, String b) {
        var rosters = server.server().storage().rosters();
        rosters.put(a, new RosterEntry(b + "@" + TestServer.DOMAIN, null, "both", false, false, false, List.of()));
        rosters.put(b, new RosterEntry(a + "@" + TestServer.DOMAIN, null, "both", false, false, false, List.of()));
    }

    /**
     * Asks for notifications of {@link #NODE}: the PEP listener adds {@code NODE+notify} to the client's
     * features, which its entity capabilities announce in the next presence it sends (XEP-0163 §4.2).
     */
    private static BlockingQueue<String> listen(XMPPConnection connection) {
        // Smack 4.5 casts every PEP payload to ExtensionElement before it looks at the listener's type; without
        // a provider the payload is a SimplePayload (and with the StandardExtensionElementProvider a
        // StandardExtensionElement), neither an ExtensionElement: the cast fails in Smack's executor and no
        // listener is called. So the payload gets a provider of its own.
        ProviderManager.addExtensionProvider("mood", NODE, new MoodProvider());
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        PepManager.getInstanceFor(connection).addPepEventListener(NODE, Mood.class,
                (from, element, id, message) -> received.add(from + " " + element.toXML()));
        return received;
    }

    /** The harness logs in without presence: a client that never sent one is not available (RFC 6121 §4.2). */
    private static void available(XMPPConnection connection) throws Exception {
        connection.sendStanza(connection.getStanzaFactory().buildPresenceStanza()
                .ofType(Presence.Type.available).build());
    }

    private static String next(BlockingQueue<String> events) throws InterruptedException {
        String event = events.poll(TIMEOUT, TimeUnit.SECONDS);
        assertNotNull(event, "no notification within " + TIMEOUT + " s");
        return event;
    }

    private static LeafNode pep(XMPPConnection connection, String node) throws Exception {
        return PepManager.getInstanceFor(connection).getPepPubSubManager().getOrCreateLeafNode(node);
    }

    @Test
    void xep0163_6_theAccountAdvertisesPepAndTheServerTheWhitelistModel() throws Exception {
        try (TestServer server = TestServer.start(data)) {
            server.createUser("alice");
            XMPPTCPConnection alice = server.login("alice");
            DiscoverInfo info = ServiceDiscoveryManager.getInstanceFor(alice).discoverInfo(jid("alice"));
            assertTrue(info.hasIdentity("pubsub", "pep"));
            assertTrue(PepManager.getInstanceFor(alice).isSupported());
            assertTrue(ServiceDiscoveryManager.getInstanceFor(alice)
                    .serverSupportsFeature("http://jabber.org/protocol/pubsub#access-whitelist"));
            alice.disconnect();
        }
    }

    @Test
    void xep0163_4_publishNotifiesContactsAskingWithPlusNotifyAndRefusesStrangers() throws Exception {
        try (TestServer server = TestServer.start(data)) {
            for (String u : List.of("alice", "bob", "carol")) {
                server.createUser(u);
            }
            friends(server, "alice", "bob");
            XMPPTCPConnection alice = server.login("alice");
            XMPPTCPConnection bob = server.login("bob");
            XMPPTCPConnection carol = server.login("carol");
            PepManager.getInstanceFor(alice).publish(NODE, new PayloadItem<>("current", payload("calm")));
            BlockingQueue<String> bobGot = listen(bob);
            available(bob);
            // §4.3.4: once the server knows (from bob's capabilities) that he asks for the node, it sends
            // the last published item; that is also the sign that the publish below must reach him.
            String last = next(bobGot);
            assertTrue(last.startsWith("alice@localhost ") && last.contains("calm"), last);
            PepManager.getInstanceFor(alice).publish(NODE, new PayloadItem<>("current", payload("happy")));
            String event = next(bobGot);
            assertTrue(event.startsWith("alice@localhost ") && event.contains("happy"), event);

            List<Item> seen = PubSubManager.getInstanceFor(bob, jid("alice")).getLeafNode(NODE).getItems();
            assertEquals(1, seen.size(), "a contact with a presence subscription may read the items");

            XMPPException.XMPPErrorException refused = assertThrows(XMPPException.XMPPErrorException.class,
                    () -> new LeafNodeAccess(carol).items("alice", NODE));
            assertEquals(StanzaError.Condition.not_authorized, refused.getStanzaError().getCondition(),
                    "XEP-0060 §6.5.9: presence access model, no subscription");
            assertNotNull(refused.getStanzaError().getExtension("presence-subscription-required",
                    "http://jabber.org/protocol/pubsub#errors"));
            for (XMPPTCPConnection c : List.of(alice, bob, carol)) {
                c.disconnect();
            }
        }
    }

    @Test
    void xep0060_7_1_5_publishOptionsThatDoNotMatchAreAPreconditionConflict() throws Exception {
        try (TestServer server = TestServer.start(data)) {
            server.createUser("alice");
            XMPPTCPConnection alice = server.login("alice");
            PepManager.getInstanceFor(alice).publish(NODE, new PayloadItem<>("current", payload("calm")));
            XMPPException.XMPPErrorException conflict = assertThrows(XMPPException.XMPPErrorException.class,
                    () -> alice.sendIqRequestAndWaitForResponse(new RawPubSub(
                            "<publish node='" + NODE + "'><item id='x'><mood xmlns='" + NODE + "'>sad</mood></item></publish>"
                                    + "<publish-options><x xmlns='jabber:x:data' type='submit'>"
                                    + "<field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>"
                                    + "<field var='pubsub#access_model'><value>open</value></field></x></publish-options>")));
            assertEquals(StanzaError.Condition.conflict, conflict.getStanzaError().getCondition());
            assertNotNull(conflict.getStanzaError().getExtension("precondition-not-met",
                    "http://jabber.org/protocol/pubsub#errors"));
            alice.disconnect();
        }
    }

    @Test
    void xep0060_4_5_whitelistKeepsContactsOutAndItemsSurviveARestart() throws Exception {
        try (TestServer server = TestServer.start(data)) {
            server.createUser("alice");
            server.createUser("bob");
            friends(server, "alice", "bob");
            XMPPTCPConnection alice = server.login("alice");
            LeafNode secret = pep(alice, "urn:example:secret");
            ConfigureForm config = secret.getNodeConfiguration();
            FillableConfigureForm fill = config.getFillableForm();
            fill.setAccessModel(AccessModel.whitelist);
            secret.sendConfigurationForm(fill);
            secret.publish(new PayloadItem<>("only", payload("hidden")));
            XMPPTCPConnection bob = server.login("bob");
            XMPPException.XMPPErrorException closed = assertThrows(XMPPException.XMPPErrorException.class,
                    () -> new LeafNodeAccess(bob).items("alice", "urn:example:secret"));
            assertEquals(StanzaError.Condition.not_allowed, closed.getStanzaError().getCondition());
            alice.disconnect();
            bob.disconnect();

            server.restart();
            XMPPTCPConnection again = server.login("alice");
            LeafNode restored = pep(again, "urn:example:secret");
            assertEquals(AccessModel.whitelist, restored.getNodeConfiguration().getAccessModel());
            assertEquals(1, restored.getItems().size());
            again.disconnect();
        }
    }

    @Test
    void xep0060_serviceNodesCreateSubscribePublishDeleteAndTransientNodes() throws Exception {
        try (TestServer server = TestServer.start(data)) {
            server.createUser("alice");
            server.createUser("bob");
            XMPPTCPConnection alice = server.login("alice");
            XMPPTCPConnection bob = server.login("bob");
            PubSubManager service = PubSubManager.getInstanceFor(alice);
            assertEquals("pubsub.localhost", PubSubManager.getPubSubService(alice).toString());
            assertTrue(service.canCreateNodesAndPublishItems());
            LeafNode news = service.createNode("news");
            LeafNode bobsView = PubSubManager.getInstanceFor(bob).getLeafNode("news");
            CompletableFuture<String> got = new CompletableFuture<>();
            bobsView.addItemEventListener(event -> got.complete(((Item) event.getItems().get(0)).getId()));
            // Notifications to a bare JID are headlines: delivered to available resources only (RFC 6121
            // §8.5.2.1.1), dropped when there is none (§8.5.2.2.1).
            available(bob);
            bobsView.subscribe(bob.getUser().asBareJid());
            news.publish(new PayloadItem<>("first", payload("hello")));
            assertEquals("first", got.get(TIMEOUT, TimeUnit.SECONDS));
            assertTrue(service.deleteNode("news"));

            FillableConfigureForm form = service.getDefaultConfiguration().getFillableForm();
            form.setDeliverPayloads(false);
            form.setPersistentItems(false);
            LeafNode transientNode = (LeafNode) service.createNode("ping", form);
            transientNode.publish();
            XMPPException.XMPPErrorException forbidden = assertThrows(XMPPException.XMPPErrorException.class,
                    () -> transientNode.publish(new PayloadItem<>("x", payload("no"))));
            assertEquals(StanzaError.Condition.bad_request, forbidden.getStanzaError().getCondition());
            assertNotNull(forbidden.getStanzaError().getExtension("item-forbidden",
                    "http://jabber.org/protocol/pubsub#errors"));
            alice.disconnect();
            bob.disconnect();
        }
    }

    /** The test payload as Smack hands it to a PEP listener. */
    private record Mood(String text) implements ExtensionElement {
        @Override
        public String getElementName() {
            return "mood";
        }

        @Override
        public String getNamespace() {
            return NODE;
        }

        @Override
        public CharSequence toXML(XmlEnvironment enclosingNamespace) {
            return "<mood xmlns='" + NODE + "'>" + text + "</mood>";
        }
    }

    private static final class MoodProvider extends ExtensionElementProvider<Mood> {
        @Override
        public Mood parse(XmlPullParser parser, int initialDepth, XmlEnvironment xmlEnvironment)
                throws XmlPullParserException, IOException {
            return new Mood(parser.nextText());
        }
    }

    /** Item retrieval from another account's PEP node without Smack's disco round trip first. */
    private record LeafNodeAccess(XMPPConnection connection) {
        void items(String owner, String node) throws Exception {
            RawPubSub iq = new RawPubSub("<items node='" + node + "'/>");
            iq.setType(IQ.Type.get);
            iq.setTo(jid(owner));
            connection.sendIqRequestAndWaitForResponse(iq);
        }
    }

    /** A pubsub IQ with literal content. */
    private static final class RawPubSub extends IQ {
        private final String content;

        RawPubSub(String content) {
            super("pubsub", "http://jabber.org/protocol/pubsub");
            this.content = content;
            setType(IQ.Type.set);
        }

        @Override
        protected IQChildElementXmlStringBuilder getIQChildElementBuilder(IQChildElementXmlStringBuilder xml) {
            xml.rightAngleBracket();
            xml.append(content);
            return xml;
        }
    }
}
