package org.parley.server.muc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.parley.server.muc.Rooms.created;
import static org.parley.server.muc.Rooms.muc;
import static org.parley.server.muc.Rooms.nick;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.Presence;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.muc.MultiUserChat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.impl.JidCreate;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

/**
 * A room shared by Smack clients and a raw-socket client that nobody's library wrote: the protocol as it
 * appears on the wire (XEP-0045 §7.2 entering order, §7.4 messages, §7.6 nick conflict, §7.14 leaving,
 * XEP-0410 self-ping).
 */
class MucTranscriptTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("alice", "bob", "carol");

    @Test
    void aRawClientEntersTalksConflictsPingsItselfAndLeaves() throws Exception {
        XMPPTCPConnection alice = server.login("alice");
        try (RawClient bob = RawClient.loggedIn(server, "bob")) {
            MultiUserChat room = created(alice, "mixed", "alice");
            room.changeSubject("wire talk");
            BlockingQueue<Presence> aliceSees = new LinkedBlockingQueue<>();
            room.addParticipantListener(aliceSees::add);

            bob.send("<presence to='mixed@conference.localhost/bob'><x xmlns='http://jabber.org/protocol/muc'>"
                    + "<history maxstanzas='0'/></x></presence>");
            String entered = quotes(bob.await("<subject>wire talk</subject>"));
            int others = entered.indexOf("from='mixed@conference.localhost/alice'");
            int self = entered.indexOf("<status code='110'");
            int subject = entered.indexOf("<subject>");
            assertTrue(others >= 0 && others < self && self < subject,
                    "§7.2.3: occupants, then self-presence with 110, then the subject: " + entered);
            assertTrue(entered.contains("affiliation='owner'") && entered.contains("role='moderator'"),
                    "alice is shown as the owner and moderator: " + entered);
            assertTrue(entered.contains("affiliation='none' role='participant'"), "bob is a participant: " + entered);
            Presence joined = aliceSees.poll(10, TimeUnit.SECONDS);
            assertNotNull(joined);
            assertEquals(JidCreate.from("mixed@conference.localhost/bob"), joined.getFrom());
            bob.clear();

            bob.send("<message to='mixed@conference.localhost' type='groupchat' id='m1'><body>hello from the wire</body></message>");
            Message heard = ConversationSupport.nextWithBody(room, "hello from the wire");
            assertEquals(JidCreate.from("mixed@conference.localhost/bob"), heard.getFrom());
            String reflected = quotes(bob.await("hello from the wire"));
            assertTrue(reflected.contains("from='mixed@conference.localhost/bob'") && reflected.contains("id='m1'"),
                    "§7.2.7: the sender gets its own message back, same id: " + reflected);
            bob.clear();

            bob.send("<presence to='mixed@conference.localhost/alice'/>");
            String conflict = quotes(bob.await("</presence>"));
            assertTrue(conflict.contains("type='error'") && conflict.contains("<conflict"),
                    "§7.6.3: a taken nickname is a conflict, never a silent rename: " + conflict);
            bob.clear();

            bob.send("<iq type='get' id='self-ping' to='mixed@conference.localhost/bob'><ping xmlns='urn:xmpp:ping'/></iq>");
            String pong = quotes(bob.await("self-ping"));
            assertTrue(pong.contains("id='self-ping'") && pong.contains("type='result'"),
                    "XEP-0410: the service answers a joined occupant's self-ping: " + pong);
            bob.clear();

            bob.send("</stream:stream>");
            Presence left;
            do {
                left = aliceSees.poll(10, TimeUnit.SECONDS);
                assertNotNull(left, "alice saw bob leave");
            } while (left.getType() != Presence.Type.unavailable);
            assertEquals(JidCreate.from("mixed@conference.localhost/bob"), left.getFrom());
        } finally {
            alice.disconnect();
        }
    }

    @Test
    void xep0359_4_stanzaIdsAnOccupantClaimsAreRemovedAndTheRoomStampsItsOwn() throws Exception {
        XMPPTCPConnection alice = server.login("alice");
        try (RawClient bob = RawClient.loggedIn(server, "bob")) {
            MultiUserChat room = created(alice, "claims", "alice");
            bob.send("<presence to='claims@conference.localhost/bob'><x xmlns='http://jabber.org/protocol/muc'>"
                    + "<history maxstanzas='0'/></x></presence>");
            bob.await("<subject"); // §7.2.3: the subject ends the entering sequence
            bob.clear();
            bob.send("<message to='claims@conference.localhost' type='groupchat' id='f1'><body>forged ids</body>"
                    + "<stanza-id xmlns='urn:xmpp:sid:0' id='fake-room' by='claims@conference.localhost'/>"
                    + "<stanza-id xmlns='urn:xmpp:sid:0' id='fake-alice' by='alice@localhost'/>"
                    + "<origin-id xmlns='urn:xmpp:sid:0' id='bob-origin'/></message>");
            Message heard = ConversationSupport.nextWithBody(room, "forged ids");
            String reflected = quotes(bob.await("forged ids"));
            for (String seen : new String[] {heard.toXML().toString().replace('"', '\''), reflected}) {
                assertTrue(!seen.contains("fake-room") && !seen.contains("fake-alice"),
                        "no claimed stanza-id survives: " + seen);
                assertTrue(seen.contains("bob-origin"), "XEP-0359 §5: the origin-id is kept: " + seen);
            }
        } finally {
            alice.disconnect();
        }
    }

    @Test
    void rfc6121_4_6_3_broadcastUnavailablePresenceLeavesEveryRoom() throws Exception {
        XMPPTCPConnection alice = server.login("alice");
        try (RawClient bob = RawClient.loggedIn(server, "bob")) {
            MultiUserChat room = created(alice, "goodbye", "alice");
            BlockingQueue<Presence> aliceSees = new LinkedBlockingQueue<>();
            room.addParticipantListener(aliceSees::add);
            bob.send("<presence/>");
            bob.send("<presence to='goodbye@conference.localhost/bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
            bob.await("<subject");
            bob.send("<presence type='unavailable'/>");
            Presence last;
            do {
                last = aliceSees.poll(10, TimeUnit.SECONDS);
                assertNotNull(last, "alice saw bob leave");
            } while (last.getType() != Presence.Type.unavailable);
            assertEquals(JidCreate.from("goodbye@conference.localhost/bob"), last.getFrom());
            assertEquals(1, room.getOccupantsCount());
        } finally {
            alice.disconnect();
        }
    }

    @Test
    void xep0410_aNonOccupantsPingIsNotAcceptableAndItsDiscoIsABadRequest() throws Exception {
        XMPPTCPConnection alice = server.login("alice");
        try (RawClient carol = RawClient.loggedIn(server, "carol")) {
            created(alice, "private", "alice");
            carol.send("<iq type='get' id='p1' to='private@conference.localhost/alice'><ping xmlns='urn:xmpp:ping'/></iq>");
            String ping = quotes(carol.await("</iq>"));
            assertTrue(ping.contains("<not-acceptable"), "XEP-0410 §3: not joined means not-acceptable: " + ping);
            carol.clear();
            carol.send("<iq type='get' id='d1' to='private@conference.localhost/alice'>"
                    + "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
            String disco = quotes(carol.await("</iq>"));
            assertTrue(disco.contains("<bad-request"), "XEP-0045 §6.6: " + disco);
            carol.clear();
            carol.send("<presence to='nowhere@conference.localhost'/>");
            String noNick = quotes(carol.await("</presence>"));
            assertTrue(noNick.contains("<jid-malformed"), "§7.2.1: entering needs a nickname: " + noNick);
        } finally {
            alice.disconnect();
        }
    }

    private static String quotes(String xml) {
        return xml.replace('"', '\'');
    }
}
