package org.parley.server.transport.tcp;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.muc.MultiUserChatManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.jid.parts.Resourcepart;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

/**
 * Issue 18, write coalescing: a room message to occupants on TCP wakes each event loop once (the fan-out is
 * one {@code WriteBatch}), not once per occupant, and every occupant still gets every message, in order
 * (XEP-0045 §7.4).
 */
class RoomFanOutWakeUpTest {

    private static final int OCCUPANTS = 20;
    private static final int MESSAGES = 30;

    @RegisterExtension
    static final TestServer server = TestServer.withUsers(users());

    private static String[] users() {
        String[] users = new String[OCCUPANTS];
        for (int i = 0; i < OCCUPANTS; i++) {
            users[i] = "u" + i;
        }
        return users;
    }

    @Test
    void aRoomMessageWakesEachEventLoopOnceAndReachesEveryOccupantInOrder() throws Exception {
        XMPPTCPConnection owner = server.login("u0");
        MultiUserChatManager.getInstanceFor(owner).getMultiUserChat(JidCreate.entityBareFrom("wake@conference.localhost"))
                .create(Resourcepart.from("u0")).makeInstant();
        List<RawClient> occupants = new ArrayList<>();
        try {
            for (int i = 1; i < OCCUPANTS; i++) {
                RawClient c = RawClient.loggedIn(server, "u" + i);
                occupants.add(c);
                c.send("<presence to='wake@conference.localhost/u" + i + "'><x xmlns='http://jabber.org/protocol/muc'>"
                        + "<history maxstanzas='0'/></x></presence>");
                c.await("<status code=\"110\"");
            }
            RawClient poster = occupants.get(0);
            // Everyone has seen every join (the last one's presence): nothing but the messages follows.
            for (RawClient c : occupants) {
                c.await("from=\"wake@conference.localhost/u" + (OCCUPANTS - 1) + "\"");
                c.clear();
            }
            long before = LoopWriter.wakeUps();
            for (int m = 0; m < MESSAGES; m++) {
                poster.send("<message to='wake@conference.localhost' type='groupchat' id='w" + m + "'><body>m" + m
                        + ".</body></message>");
                poster.await("<body>m" + m + ".</body>"); // one fan-out at a time: each is counted alone
            }
            for (RawClient c : occupants) {
                String got = c.await("<body>m" + (MESSAGES - 1) + ".</body>");
                int at = -1;
                for (int m = 0; m < MESSAGES; m++) {
                    int next = got.indexOf("<body>m" + m + ".</body>");
                    assertTrue(next > at, "message " + m + " arrived, after the one before it: " + got);
                    at = next;
                }
            }
            long wakeUps = LoopWriter.wakeUps() - before;
            int loops = Math.max(2, Runtime.getRuntime().availableProcessors());
            // One fan-out reaches OCCUPANTS connections spread over the loops: at most one wake-up per loop (plus
            // the odd one when a drain another thread started runs at the end of the batch). Per occupant it
            // would be up to MESSAGES x OCCUPANTS.
            assertTrue(wakeUps <= (long) MESSAGES * loops + MESSAGES / 2,
                    wakeUps + " event loop wake-ups for " + MESSAGES + " room messages to " + OCCUPANTS
                            + " occupants over " + loops + " loops");
        } finally {
            for (RawClient c : occupants) {
                c.close();
            }
        }
    }
}
