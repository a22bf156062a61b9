package org.parley.server.muc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.StanzaCollector;
import org.jivesoftware.smack.filter.AndFilter;
import org.jivesoftware.smack.filter.FromMatchesFilter;
import org.jivesoftware.smack.filter.StanzaTypeFilter;
import org.jivesoftware.smack.packet.Presence;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.muc.MultiUserChat;
import org.jivesoftware.smackx.muc.packet.MUCUser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.EntityBareJid;
import org.parley.server.testing.TestServer;

/**
 * Evidence for SINT's intermittent {@code mucChangeNicknameInformationTest} (run with
 * {@code -Dparley.stress=true}): the steps of that test with Smack, 50 times, comparing what Smack's
 * participant listener reports with the wire order (a stanza collector sees stanzas in arrival order, on
 * the reader thread).
 *
 * <p>Smack 4.5.0-beta5's {@code MultiUserChat} presence listener sets {@code processedReflectedSelfPresence}
 * and wakes {@code join()} before it calls the participant listeners with that same self-presence, so a
 * listener added right after {@code join()} returns can still be called with the join presence from the
 * old nickname. The server's part is asserted: after the change request, the wire carries exactly the
 * 303 unavailable from the old nickname and then the available from the new one; an old-nickname
 * 'available' reaching the listener must be the join self-presence that arrived before the change.
 */
@EnabledIfSystemProperty(named = "parley.stress", matches = "true")
class SmackNickChangeListenerRaceTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("one", "two");

    @Test
    void theServerOrderIsRightAndAnOldNickPresenceAtTheListenerIsTheJoinPresence() throws Exception {
        XMPPTCPConnection one = server.login("one");
        XMPPTCPConnection two = server.login("two");
        int raced = 0;
        int runs = 50;
        try {
            for (int run = 0; run < runs; run++) {
                String original = "two-original-" + run;
                String renamed = "two-new-" + run;
                MultiUserChat asOne = Rooms.created(one, "smack-nick-" + run, "one");
                EntityBareJid room = asOne.getRoom();
                MultiUserChat asTwo = Rooms.muc(two, "smack-nick-" + run);
                CountDownLatch oneSeesTwo = new CountDownLatch(1);
                asOne.addParticipantListener(p -> {
                    if (original.equals(p.getFrom().getResourceOrEmpty().toString())) {
                        oneSeesTwo.countDown();
                    }
                });
                StanzaCollector wire = two.createStanzaCollector(
                        new AndFilter(StanzaTypeFilter.PRESENCE, FromMatchesFilter.create(room)));
                try {
                    asTwo.join(Rooms.nick(original));
                    assertTrue(oneSeesTwo.await(10, TimeUnit.SECONDS));
                    List<Presence> heard = new CopyOnWriteArrayList<>();
                    CountDownLatch renamedHeard = new CountDownLatch(1);
                    asTwo.addParticipantListener(p -> {
                        String nick = p.getFrom().getResourceOrEmpty().toString();
                        if (nick.equals(original) || nick.equals(renamed)) {
                            heard.add(p);
                            if (nick.equals(renamed) && p.isAvailable()) {
                                renamedHeard.countDown();
                            }
                        }
                    });
                    List<Presence> beforeChange = drain(wire);
                    asTwo.changeNickname(Rooms.nick(renamed));
                    assertTrue(renamedHeard.await(10, TimeUnit.SECONDS));

                    // The server: exactly the two §7.6 presences for two's nicknames after the request.
                    List<Presence> afterChange = new ArrayList<>();
                    for (Presence p : drain(wire)) {
                        String nick = p.getFrom().getResourceOrEmpty().toString();
                        if (nick.equals(original) || nick.equals(renamed)) {
                            afterChange.add(p);
                        }
                    }
                    assertEquals(2, afterChange.size(), "run " + run + ": " + afterChange);
                    Presence gone = afterChange.get(0);
                    assertEquals(Presence.Type.unavailable, gone.getType());
                    assertEquals(original, gone.getFrom().getResourceOrEmpty().toString());
                    assertTrue(MUCUser.from(gone).getStatus().contains(MUCUser.Status.NEW_NICKNAME_303));
                    assertEquals(renamed, MUCUser.from(gone).getItem().getNick().toString());
                    assertEquals(renamed, afterChange.get(1).getFrom().getResourceOrEmpty().toString());
                    assertTrue(afterChange.get(1).isAvailable());

                    // Smack's listener: an old-nickname 'available' is the join presence, from before the change.
                    for (Presence p : heard) {
                        if (p.isAvailable() && original.equals(p.getFrom().getResourceOrEmpty().toString())) {
                            raced++;
                            assertTrue(beforeChange.contains(p), "run " + run + ": an old-nickname presence the "
                                    + "wire did not carry before the change: " + p.toXML());
                            assertNotNull(MUCUser.from(p));
                            assertTrue(MUCUser.from(p).getStatus().contains(MUCUser.Status.PRESENCE_TO_SELF_110),
                                    "the join self-presence: " + p.toXML());
                        }
                    }
                } finally {
                    wire.cancel();
                    asOne.destroy("done", null);
                }
            }
        } finally {
            System.out.println("[evidence] Smack's participant listener got the join presence after join() "
                    + "returned in " + raced + " of " + runs + " runs; the wire order was right in all " + runs);
            one.disconnect();
            two.disconnect();
        }
    }

    private static List<Presence> drain(StanzaCollector collector) {
        List<Presence> result = new ArrayList<>();
        Presence p;
        while ((p = collector.pollResult()) != null) {
            result.add(p);
        }
        return result;
    }
}
