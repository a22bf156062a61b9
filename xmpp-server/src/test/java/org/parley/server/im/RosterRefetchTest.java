package org.parley.server.im;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

/**
 * A resource that fetches its roster again (clients do on resync or a UI reload) stays an available,
 * interested resource (RFC 6121 §2.1.6, §3.1.3): it still gets subscription requests, roster pushes,
 * presence broadcasts and probe answers. Raw transcripts, so the client does exactly these steps.
 */
class RosterRefetchTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("amy", "bea", "cid", "dot", "eli", "fox", "gil", "hal");

    /** Roster get, then initial presence, then the roster again. Returns the 'ver' of the first result. */
    private static String getPresenceGet(RawClient client, boolean versioned) throws IOException {
        String ver = versioned ? " ver=''" : "";
        String first = client.send("<iq type='get' id='r1'><query xmlns='jabber:iq:roster'" + ver + "/></iq>")
                .await("id=\"r1\"");
        String version = null;
        if (versioned) {
            String reply = first.substring(first.indexOf("id=\"r1\""));
            version = reply.replaceAll("(?s).*?ver=\"([^\"]+)\".*", "$1");
        }
        client.send("<presence/>");
        String again = versioned ? " ver='" + version + "'" : "";
        String second = client.send("<iq type='get' id='r2'><query xmlns='jabber:iq:roster'" + again + "/></iq>")
                .await("id=\"r2\"");
        if (versioned) {
            String reply = second.substring(second.lastIndexOf("<iq"));
            assertFalse(reply.contains("<query"), "§2.6.3: the unchanged roster is not sent again: " + second);
        }
        client.clear();
        return version;
    }

    @Test
    void rfc6121_3_1_3_subscriptionRequestReachesAResourceThatFetchedItsRosterTwice() throws Exception {
        try (RawClient amy = RawClient.loggedIn(server, "amy"); RawClient bea = RawClient.loggedIn(server, "bea")) {
            getPresenceGet(amy, false);
            bea.send("<presence type='subscribe' to='amy@localhost'/>");
            String got = amy.await("type=\"subscribe\"");
            assertTrue(got.contains("from=\"bea@localhost\""), "the request comes from bea: " + got);
        }
    }

    @Test
    void xep0237_subscriptionRequestReachesAResourceWhoseSecondGetWasVersioned() throws Exception {
        try (RawClient cid = RawClient.loggedIn(server, "cid"); RawClient dot = RawClient.loggedIn(server, "dot")) {
            getPresenceGet(cid, true);
            dot.send("<presence type='subscribe' to='cid@localhost'/>");
            String got = cid.await("type=\"subscribe\"");
            assertTrue(got.contains("from=\"dot@localhost\""), "the request comes from dot: " + got);
        }
    }

    @Test
    void rfc6121_2_1_6_and_4_rosterPushesPresenceAndProbesStillReachTheResourceAfterARepeatedGet() throws Exception {
        try (RawClient eli = RawClient.loggedIn(server, "eli"); RawClient fox = RawClient.loggedIn(server, "fox")) {
            fox.send("<iq type='get' id='f1'><query xmlns='jabber:iq:roster'/></iq>").await("id=\"f1\"");
            fox.send("<presence/>");
            getPresenceGet(eli, false);

            // §3.1.2: eli's request is pushed to eli's interested resource with ask='subscribe'.
            eli.send("<presence type='subscribe' to='fox@localhost'/>");
            String push = eli.await("ask=\"subscribe\"");
            assertTrue(push.contains("type=\"set\"") && push.contains("jid=\"fox@localhost\""), "roster push: " + push);
            fox.await("type=\"subscribe\"");
            eli.clear();

            // §3.1.5-6: fox approves; eli gets the push (subscription 'to') and fox's presence.
            fox.send("<presence type='subscribed' to='eli@localhost'/>");
            String approved = eli.await("subscription=\"to\"");
            assertTrue(approved.contains("jid=\"fox@localhost\""), "roster push after approval: " + approved);
            eli.await("from=\"fox@localhost/raw\"");
            eli.clear();

            // §4.4.2: fox's later broadcast reaches eli, an available resource with a subscription.
            fox.send("<presence><status>broadcast-1</status></presence>");
            eli.await("broadcast-1");
            eli.clear();

            // §4.6 then §4.2: unavailable and available again is a new initial presence; eli probes and hears
            // fox's current presence, and is still interested (a roster set is pushed to it).
            eli.send("<presence type='unavailable'/>");
            eli.send("<presence/>");
            String probed = eli.await("broadcast-1");
            // §4.3.2: the probe is answered with the last presence of each available resource, from its full JID.
            String answer = probed.substring(probed.lastIndexOf("<presence", probed.indexOf("broadcast-1")));
            assertTrue(answer.contains("from=\"fox@localhost/raw\""), "probe answered from the full JID: " + probed);
            eli.send("<iq type='set' id='s1'><query xmlns='jabber:iq:roster'><item jid='fox@localhost' name='Fox'/>"
                    + "</query></iq>");
            String named = eli.await("name=\"Fox\"");
            assertTrue(named.contains("type=\"set\""), "roster push of the renamed item: " + named);
        }
    }

    @Test
    void rfc6121_4_3_2_probeOfAContactWithNoAvailableResourceIsAnsweredUnavailableOnce() throws Exception {
        try (RawClient gil = RawClient.loggedIn(server, "gil"); RawClient hal = RawClient.loggedIn(server, "hal")) {
            hal.send("<iq type='get' id='h1'><query xmlns='jabber:iq:roster'/></iq>").await("id=\"h1\"");
            hal.send("<presence/>");
            getPresenceGet(gil, false);
            gil.send("<presence type='subscribe' to='hal@localhost'/>");
            hal.await("type=\"subscribe\"");
            hal.send("<presence type='subscribed' to='gil@localhost'/>");
            gil.await("from=\"hal@localhost/raw\"");

            // hal stays connected but unavailable; gil's next initial presence probes hal.
            hal.send("<presence type='unavailable'/>");
            gil.await("type=\"unavailable\"");
            gil.clear();
            gil.send("<presence type='unavailable'/>");
            gil.send("<presence/>");
            String probed = gil.await("from=\"hal@localhost\"");
            String answer = probed.substring(probed.lastIndexOf("<presence", probed.indexOf("from=\"hal@localhost\"")));
            assertTrue(answer.contains("type=\"unavailable\""), "§4.3.2: no available resource, so 'unavailable': " + probed);
            // A ping round trip after the probe: anything the probe caused has arrived by then.
            String after = gil.send("<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>").await("id=\"p1\"");
            assertEquals(1, after.split("from=\"hal@localhost\"", -1).length - 1, "answered once: " + after);
        }
    }
}
