package org.parley.server.abuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.jivesoftware.smack.XMPPException;
import org.jivesoftware.smack.packet.StandardExtensionElement;
import org.jivesoftware.smack.packet.StanzaError;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.pep.PepManager;
import org.jivesoftware.smackx.pubsub.LeafNode;
import org.jivesoftware.smackx.pubsub.PayloadItem;
import org.jivesoftware.smackx.pubsub.PubSubManager;
import org.jivesoftware.smackx.pubsub.form.FillableConfigureForm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.server.config.ServerSettings;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

/**
 * Issue 17, "pubsub item and size caps": what one account stores in PEP (XEP-0163) is bounded in items across
 * its nodes (limits.pubsub-items-per-account) and in nodes (limits.pubsub-nodes-per-account, which also bounds
 * the nodes an account owns on the pubsub service), with real Smack clients.
 *
 * <p>XEP-0060 names no error for an account quota; its one local quota, too many subscriptions (§6.1.3.9), is
 * {@code policy-violation} (type wait), so these are too, with the pubsub#errors conditions its schema defines
 * for the case ({@code max-items-exceeded}, {@code max-nodes-exceeded}). Not {@code not-acceptable}: that is
 * about the request's own content (§7.1.3 "Payload Too Big"), and this item would be fine for another account.
 */
class PubSubQuotaTest {

    private static final int ITEMS = 4;
    private static final int NODES = 3;
    private static final String ERRORS = "http://jabber.org/protocol/pubsub#errors";

    @RegisterExtension
    static final TestServer server = TestServer.withSettings(GuardTweak.of(g -> g.quotas =
            new ServerSettings.Quotas(1000, 100, 256 * 1024, 100, 100_000, ITEMS, NODES)), "ivy", "noel", "other");

    private static StandardExtensionElement entry(String text) {
        return StandardExtensionElement.builder("entry", "urn:example:quota").setText(text).build();
    }

    private static PayloadItem<StandardExtensionElement> item(String id) {
        return new PayloadItem<>(id, entry("item " + id));
    }

    /** A PEP node keeping up to {@code maxItems} items (the PEP default keeps one). */
    private static LeafNode node(PubSubManager pep, String name, int maxItems) throws Exception {
        FillableConfigureForm form = pep.getDefaultConfiguration().getFillableForm();
        form.setMaxItems(maxItems);
        return (LeafNode) pep.createNode(name, form);
    }

    private static void assertRefused(String pubsubCondition, org.junit.jupiter.api.function.Executable request) {
        XMPPException.XMPPErrorException e = assertThrows(XMPPException.XMPPErrorException.class, request);
        assertEquals(StanzaError.Condition.policy_violation, e.getStanzaError().getCondition(), e.toString());
        assertEquals(StanzaError.Type.WAIT, e.getStanzaError().getType());
        assertNotNull(e.getStanzaError().getExtension(pubsubCondition, ERRORS), e.toString());
    }

    @Test
    void newItemsBeyondTheAccountsQuotaAreRefusedWhileReplacingAndFullNodesAreAllowed() throws Exception {
        XMPPTCPConnection ivy = server.login("ivy");
        try (RawClient other = RawClient.loggedIn(server, "other")) {
            PubSubManager pep = PepManager.getInstanceFor(ivy).getPepPubSubManager();
            LeafNode last = node(pep, "urn:example:last", 1);
            last.publish(item("a"));
            LeafNode list = node(pep, "urn:example:list", 10);
            for (int i = 1; i < ITEMS; i++) {
                list.publish(item(String.valueOf(i)));
            }
            // ITEMS items in two nodes: one more, in either node or in a new one, is refused.
            assertRefused("max-items-exceeded", () -> list.publish(item("new")));
            assertRefused("max-items-exceeded", () -> PepManager.getInstanceFor(ivy).publish("urn:example:auto",
                    item("x")));
            assertTrue(pep.discoverNodes(null).getItems().stream().noneMatch(i -> "urn:example:auto".equals(i.getNode())),
                    "a refused auto-create publish leaves no node behind");
            // Someone else publishing there is forbidden first (XEP-0163 §2.2): the quota is not theirs to learn.
            other.clear();
            other.send("<iq type='set' id='stranger' to='ivy@localhost'><pubsub xmlns='http://jabber.org/protocol/pubsub'>"
                    + "<publish node='urn:example:list'><item id='s'><entry xmlns='urn:example:quota'/></item></publish>"
                    + "</pubsub></iq>");
            String stranger = other.await("</iq>", java.time.Duration.ofSeconds(10));
            assertTrue(stranger.contains("<forbidden") && !stranger.contains("max-items-exceeded"), stranger);
            // XEP-0060 §7.1.3: re-publishing an id is modification, never refused.
            list.publish(new PayloadItem<>("2", entry("changed")));
            // A node at its max_items drops its oldest: the account holds no more than before.
            last.publish(item("b"));
            assertEquals(List.of("b"), last.getItems().stream().map(i -> i.getId()).toList());
            // Room made by a retraction is usable again.
            list.deleteItem("1");
            list.publish(item("new"));
            assertRefused("max-items-exceeded", () -> list.publish(item("newer")));
            Service.pingStaysFast(other);
        } finally {
            ivy.disconnect();
        }
    }

    @Test
    void nodesBeyondTheAccountsQuotaAreRefusedOnPepAndOnThePubsubService() throws Exception {
        XMPPTCPConnection noel = server.login("noel");
        try {
            PubSubManager pep = PepManager.getInstanceFor(noel).getPepPubSubManager();
            for (int i = 1; i <= NODES; i++) {
                pep.createNode("urn:example:n" + i);
            }
            assertRefused("max-nodes-exceeded", () -> pep.createNode("urn:example:n4"));
            // Auto-create on publish (XEP-0060 §7.1.4) is a new node too.
            assertRefused("max-nodes-exceeded", () -> PepManager.getInstanceFor(noel).publish("urn:example:n5",
                    item("x")));
            pep.deleteNode("urn:example:n1");
            pep.createNode("urn:example:n4");

            // On pubsub.localhost the quota counts the nodes the account owns (its PEP nodes are elsewhere).
            PubSubManager service = PubSubManager.getInstanceFor(noel);
            for (int i = 1; i <= NODES; i++) {
                service.createNode("noel-" + i);
            }
            assertRefused("max-nodes-exceeded", () -> service.createNode("noel-4"));
            assertTrue(service.deleteNode("noel-1"));
            service.createNode("noel-4");
        } finally {
            noel.disconnect();
        }
    }
}
