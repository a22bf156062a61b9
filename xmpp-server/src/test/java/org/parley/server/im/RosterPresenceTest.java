package org.parley.server.im;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
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
import org.parley.server.testing.RosterWait;
import org.parley.server.testing.TestServer;

/** Roster (RFC 6121 §2), subscriptions (§3) and presence (§4) between two Smack clients. */
class RosterPresenceTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("romeo", "juliet");

    @Test
    void mutualSubscriptionThenPresenceFlowsAndSurvivesRestart() throws Exception {
        BareJid julietJid = JidCreate.bareFrom("juliet@localhost");
        BareJid romeoJid = JidCreate.bareFrom("romeo@localhost");
        XMPPTCPConnection romeo = server.login("romeo");
        XMPPTCPConnection juliet = server.login("juliet");
        try {
            Roster romeoRoster = Roster.getInstanceFor(romeo);
            Roster julietRoster = Roster.getInstanceFor(juliet);
            romeoRoster.setSubscriptionMode(Roster.SubscriptionMode.accept_all);
            julietRoster.setSubscriptionMode(Roster.SubscriptionMode.accept_all);
            romeoRoster.reloadAndWait();
            julietRoster.reloadAndWait();
            romeo.sendStanza(romeo.getStanzaFactory().buildPresenceStanza().build());
            juliet.sendStanza(juliet.getStanzaFactory().buildPresenceStanza().build());

            romeoRoster.createItemAndRequestSubscription(julietJid, "Juliet", new String[] {"Friends"});
            julietRoster.createItemAndRequestSubscription(romeoJid, "Romeo", null);

            awaitSubscription(romeoRoster, julietJid, RosterPacket.ItemType.both);
            awaitSubscription(julietRoster, romeoJid, RosterPacket.ItemType.both);
            RosterEntry entry = romeoRoster.getEntry(julietJid);
            assertEquals("Juliet", entry.getName());
            assertTrue(entry.getGroups().stream().anyMatch(g -> g.getName().equals("Friends")));

            // RFC 6121 §4.4: a presence update reaches the subscribed contact.
            BlockingQueue<Presence> seen = new LinkedBlockingQueue<>();
            juliet.addAsyncStanzaListener(s -> seen.add((Presence) s),
                    s -> s instanceof Presence p && p.getFrom() != null && p.getFrom().asBareJid().equals(romeoJid)
                            && "wherefore".equals(p.getStatus()));
            romeo.sendStanza(romeo.getStanzaFactory().buildPresenceStanza().setStatus("wherefore").build());
            assertNotNull(seen.poll(10, TimeUnit.SECONDS), "presence broadcast to contact");

            // RFC 6121 §4.6: logging off sends unavailable presence to contacts.
            BlockingQueue<Presence> gone = new LinkedBlockingQueue<>();
            juliet.addAsyncStanzaListener(s -> gone.add((Presence) s),
                    s -> s instanceof Presence p && p.getType() == Presence.Type.unavailable
                            && p.getFrom() != null && p.getFrom().asBareJid().equals(romeoJid));
            romeo.disconnect();
            assertNotNull(gone.poll(10, TimeUnit.SECONDS), "unavailable presence on disconnect");
        } finally {
            romeo.disconnect();
            juliet.disconnect();
        }

        server.restart();
        XMPPTCPConnection again = server.login("romeo");
        try {
            Roster roster = Roster.getInstanceFor(again);
            roster.reloadAndWait();
            RosterEntry entry = roster.getEntry(julietJid);
            assertNotNull(entry, "roster survives a restart");
            assertEquals(RosterPacket.ItemType.both, entry.getType());
        } finally {
            again.disconnect();
        }
    }

    private static void awaitSubscription(Roster roster, BareJid contact, RosterPacket.ItemType type)
            throws InterruptedException {
        RosterWait.awaitEntry(roster, contact, e -> e.getType() == type);
    }
}
