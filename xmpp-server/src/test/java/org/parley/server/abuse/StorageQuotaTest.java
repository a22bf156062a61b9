package org.parley.server.abuse;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.server.config.ServerSettings;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

/**
 * Issue 17, "quotas and storage growth": what one account may store is bounded (limits.roster-size,
 * limits.private-xml-items, limits.pubsub-item-size, limits.rooms-per-account), each refused with the error its
 * specification names, while changing what already exists stays allowed.
 */
class StorageQuotaTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    static final TestServer server = TestServer.withSettings(GuardTweak.of(g -> g.quotas =
            new ServerSettings.Quotas(2, 2, 2048, 1)), "quinn", "rita");

    private static String iq(RawClient client, String id, String payload) throws Exception {
        client.clear();
        client.send("<iq type='set' id='" + id + "'>" + payload + "</iq>");
        String answer = client.await("id=\"" + id + "\"", WAIT);
        return answer.contains("type=\"error\"") ? client.await("</iq>", WAIT) : answer;
    }

    private static String rosterItem(String jid, String name) {
        return "<query xmlns='jabber:iq:roster'><item jid='" + jid + "' name='" + name + "'/></query>";
    }

    @Test
    void aRosterHoldsAtMostRosterSizeContacts() throws Exception {
        try (RawClient quinn = RawClient.loggedIn(server, "quinn")) {
            assertTrue(iq(quinn, "r1", rosterItem("a@example.org", "A")).contains("type=\"result\""));
            assertTrue(iq(quinn, "r2", rosterItem("b@example.org", "B")).contains("type=\"result\""));
            // RFC 6121 §2.3.3: the server refuses a roster set it cannot accept; a quota is a resource constraint.
            String refused = iq(quinn, "r3", rosterItem("c@example.org", "C"));
            assertTrue(refused.contains("type=\"error\"") && refused.contains("<resource-constraint"), refused);
            // Renaming an existing contact is no new item.
            assertTrue(iq(quinn, "r4", rosterItem("a@example.org", "Anna")).contains("type=\"result\""));
            Service.pingStaysFast(quinn);
        }
    }

    @Test
    void privateXmlHoldsAtMostPrivateXmlItemsFragments() throws Exception {
        try (RawClient rita = RawClient.loggedIn(server, "rita")) {
            for (int i = 1; i <= 2; i++) {
                String stored = iq(rita, "p" + i, "<query xmlns='jabber:iq:private'><data xmlns='urn:example:" + i
                        + "'>v</data></query>");
                assertTrue(stored.contains("type=\"result\""), stored);
            }
            String refused = iq(rita, "p3", "<query xmlns='jabber:iq:private'><data xmlns='urn:example:3'>v</data>"
                    + "</query>");
            assertTrue(refused.contains("type=\"error\"") && refused.contains("<resource-constraint"), refused);
            // Replacing a stored fragment is allowed (XEP-0049 §2: a set replaces what the namespace held).
            String replaced = iq(rita, "p4", "<query xmlns='jabber:iq:private'><data xmlns='urn:example:1'>w</data>"
                    + "</query>");
            assertTrue(replaced.contains("type=\"result\""), replaced);
        }
    }

    @Test
    void aPubsubItemOverPubsubItemSizeIsPayloadTooBig() throws Exception {
        try (RawClient quinn = RawClient.loggedIn(server, "quinn")) {
            String small = iq(quinn, "s1", "<pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='urn:example:n'>"
                    + "<item id='1'><entry xmlns='urn:example:n'>small</entry></item></publish></pubsub>");
            assertTrue(small.contains("type=\"result\""), small);
            String big = iq(quinn, "s2", "<pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='urn:example:n'>"
                    + "<item id='2'><entry xmlns='urn:example:n'>" + "x".repeat(4096) + "</entry></item></publish></pubsub>");
            // XEP-0060 §7.1.3.6: not-acceptable with the pubsub condition payload-too-big.
            assertTrue(big.contains("<not-acceptable") && big.contains("<payload-too-big"), big);
        }
    }

    @Test
    void anAccountOwnsAtMostRoomsPerAccountRooms() throws Exception {
        try (RawClient rita = RawClient.loggedIn(server, "rita")) {
            rita.clear();
            rita.send("<presence to='owned1@conference.localhost/rita'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
            rita.await("status code=\"201\"", WAIT); // XEP-0045 §10.1.1: created
            rita.clear();
            rita.send("<presence to='owned2@conference.localhost/rita'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
            String refused = rita.await("</presence>", WAIT);
            assertTrue(refused.contains("type=\"error\"") && refused.contains("<resource-constraint"), refused);
            assertFalse(refused.contains("201"), refused);
        }
    }
}
