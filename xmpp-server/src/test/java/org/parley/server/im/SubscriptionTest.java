package org.parley.server.im;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.packet.Presence;
import org.jivesoftware.smack.roster.Roster;
import org.jivesoftware.smack.roster.RosterEntry;
import org.jivesoftware.smack.roster.packet.RosterPacket;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.BareJid;
import org.jxmpp.jid.impl.JidCreate;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.RosterWait;
import org.parley.server.testing.TestServer;

/** Subscription states of RFC 6121 §3, pre-approval (§3.4) and roster versioning (§2.6). */
class SubscriptionTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("ann", "ben", "cat", "dan", "eve", "fay", "gus");

    private static XMPPTCPConnection online(String user, BlockingQueue<Presence> subscriptionRequests) throws Exception {
        XMPPTCPConnection c = new XMPPTCPConnection(server.config(user).build());
        Roster.getInstanceFor(c).setSubscriptionMode(Roster.SubscriptionMode.manual);
        c.addAsyncStanzaListener(s -> subscriptionRequests.add((Presence) s),
                s -> s instanceof Presence p && p.getType() == Presence.Type.subscribe);
        c.connect().login();
        Roster.getInstanceFor(c).reloadAndWait();
        c.sendStanza(c.getStanzaFactory().buildPresenceStanza().build());
        return c;
    }

    private static Presence presence(XMPPTCPConnection from, Presence.Type type, String to) throws Exception {
        return from.getStanzaFactory().buildPresenceStanza().ofType(type).to(JidCreate.bareFrom(to)).build();
    }

    @Test
    void rfc6121_3_4_preApprovedRequestIsAcceptedWithoutAskingTheUser() throws Exception {
        BlockingQueue<Presence> annRequests = new LinkedBlockingQueue<>();
        BlockingQueue<Presence> benRequests = new LinkedBlockingQueue<>();
        XMPPTCPConnection ann = online("ann", annRequests);
        XMPPTCPConnection ben = online("ben", benRequests);
        try {
            Roster annRoster = Roster.getInstanceFor(ann);
            assertTrue(annRoster.isSubscriptionPreApprovalSupported(), "stream feature urn:xmpp:features:pre-approval");
            BareJid benJid = JidCreate.bareFrom("ben@localhost");
            annRoster.preApprove(benJid);
            RosterWait.awaitEntry(annRoster, benJid, e -> e.isApproved());

            Roster benRoster = Roster.getInstanceFor(ben);
            benRoster.sendSubscriptionRequest(JidCreate.bareFrom("ann@localhost"));
            RosterWait.awaitEntry(benRoster, JidCreate.bareFrom("ann@localhost"),
                    e -> e.getType() == RosterPacket.ItemType.to);
            RosterWait.awaitEntry(annRoster, benJid, e -> e.getType() == RosterPacket.ItemType.from);
            assertNull(annRequests.poll(), "a pre-approved request is not shown to the user");
            assertFalse(annRoster.getEntry(benJid).isApproved(), "the pre-approval is used up");
        } finally {
            ann.disconnect();
            ben.disconnect();
        }
    }

    @Test
    void rfc6121_3_1_3_requestToAnOfflineUserIsDeliveredAtNextLoginAndCanBeDenied() throws Exception {
        BlockingQueue<Presence> catRequests = new LinkedBlockingQueue<>();
        XMPPTCPConnection cat = online("cat", catRequests);
        try {
            cat.sendStanza(presence(cat, Presence.Type.subscribe, "dan@localhost"));
            RosterWait.awaitEntry(Roster.getInstanceFor(cat), JidCreate.bareFrom("dan@localhost"),
                    RosterEntry::isSubscriptionPending);
        } finally {
            cat.disconnect();
        }
        BlockingQueue<Presence> danRequests = new LinkedBlockingQueue<>();
        XMPPTCPConnection dan = online("dan", danRequests);
        try {
            Presence request = danRequests.poll(10, TimeUnit.SECONDS);
            assertNotNull(request, "pending request delivered on initial presence");
            assertEquals("cat@localhost", request.getFrom().toString());
            assertNull(Roster.getInstanceFor(dan).getEntry(JidCreate.bareFrom("cat@localhost")),
                    "§3.1.3: no roster item is created for a mere request");
            dan.sendStanza(presence(dan, Presence.Type.unsubscribed, "cat@localhost"));
        } finally {
            dan.disconnect();
        }
        XMPPTCPConnection catAgain = online("cat", new LinkedBlockingQueue<>());
        try {
            RosterWait.awaitEntry(Roster.getInstanceFor(catAgain), JidCreate.bareFrom("dan@localhost"),
                    e -> !e.isSubscriptionPending() && e.getType() == RosterPacket.ItemType.none);
        } finally {
            catAgain.disconnect();
        }
        XMPPTCPConnection danAgain = online("dan", danRequests);
        try {
            assertNull(danRequests.poll(1, TimeUnit.SECONDS), "a denied request is not delivered again");
        } finally {
            danAgain.disconnect();
        }
    }

    @Test
    void rfc6121_2_5_2_removingAnItemCancelsBothSubscriptions() throws Exception {
        XMPPTCPConnection eve = online("eve", new LinkedBlockingQueue<>());
        XMPPTCPConnection fay = online("fay", new LinkedBlockingQueue<>());
        try {
            Roster eveRoster = Roster.getInstanceFor(eve);
            Roster fayRoster = Roster.getInstanceFor(fay);
            BareJid eveJid = JidCreate.bareFrom("eve@localhost");
            BareJid fayJid = JidCreate.bareFrom("fay@localhost");
            eveRoster.preApprove(fayJid);
            fayRoster.preApprove(eveJid);
            // Stanzas of different sessions have no order between them: wait until both are recorded.
            RosterWait.awaitEntry(eveRoster, fayJid, RosterEntry::isApproved);
            RosterWait.awaitEntry(fayRoster, eveJid, RosterEntry::isApproved);
            eveRoster.sendSubscriptionRequest(fayJid);
            fayRoster.sendSubscriptionRequest(eveJid);
            RosterWait.awaitEntry(eveRoster, fayJid, e -> e.getType() == RosterPacket.ItemType.both);
            RosterWait.awaitEntry(fayRoster, eveJid, e -> e.getType() == RosterPacket.ItemType.both);

            eveRoster.removeEntry(eveRoster.getEntry(fayJid));
            RosterWait.awaitEntry(fayRoster, eveJid, e -> e.getType() == RosterPacket.ItemType.none);
            assertNull(eveRoster.getEntry(fayJid));
        } finally {
            eve.disconnect();
            fay.disconnect();
        }
    }

    @Test
    void rfc6121_2_6_rosterVersioningReturnsNothingWhenUnchanged() throws Exception {
        try (RawClient client = RawClient.loggedIn(server, "gus")) {
            client.send("<iq type='set' id='s1'><query xmlns='jabber:iq:roster'><item jid='ann@localhost'/></query></iq>")
                    .await("id=\"s1\"");
            client.clear();
            String full = client.send("<iq type='get' id='g1'><query xmlns='jabber:iq:roster' ver=''/></iq>")
                    .await("id=\"g1\"");
            String afterId = full.substring(full.indexOf("id=\"g1\""));
            String version = afterId.replaceAll("(?s).*ver=\"([^\"]+)\".*", "$1");
            assertTrue(afterId.contains("ann@localhost"), full);
            client.clear();
            String again = client.send("<iq type='get' id='g2'><query xmlns='jabber:iq:roster' ver='" + version + "'/></iq>")
                    .await("id=\"g2\"");
            String reply = again.substring(again.lastIndexOf("<iq"));
            assertFalse(reply.contains("<query"), "§2.6.3: unchanged roster is not resent: " + reply);
        }
    }

    @Test
    void rfc6121_2_3_3_rosterSetWithTwoItemsIsBadRequest() throws Exception {
        try (RawClient client = RawClient.loggedIn(server, "gus")) {
            String reply = client.send("<iq type='set' id='x'><query xmlns='jabber:iq:roster'>"
                    + "<item jid='a@localhost'/><item jid='b@localhost'/></query></iq>").await("</iq>");
            assertTrue(reply.contains("bad-request"), reply);
            client.clear();
            reply = client.send("<iq type='set' id='y'><query xmlns='jabber:iq:roster'>"
                    + "<item jid='nobody-here@localhost' subscription='remove'/></query></iq>").await("</iq>");
            assertTrue(reply.contains("item-not-found"), reply);
        }
    }
}
