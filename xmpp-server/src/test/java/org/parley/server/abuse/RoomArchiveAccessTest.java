package org.parley.server.abuse;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

/**
 * Issue 17, row "archive of a password-protected room: served to someone who never gave the password": a
 * XEP-0313 query carries no password, so only occupants (who gave it) and members may read the archive.
 */
class RoomArchiveAccessTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String ROOM = "secretroom@conference.localhost";

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("owner", "stranger");

    @Test
    void aPasswordProtectedRoomsArchiveNeedsThePassword() throws Exception {
        try (RawClient owner = RawClient.loggedIn(server, "owner");
             RawClient stranger = RawClient.loggedIn(server, "stranger")) {
            owner.send("<presence to='" + ROOM + "/owner'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
            owner.await("status code=\"201\"", WAIT);
            owner.clear();
            owner.send("<iq type='set' to='" + ROOM + "' id='cfg'><query xmlns='http://jabber.org/protocol/muc#owner'>"
                    + "<x xmlns='jabber:x:data' type='submit'>"
                    + "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>"
                    + "<field var='muc#roomconfig_passwordprotectedroom'><value>1</value></field>"
                    + "<field var='muc#roomconfig_roomsecret'><value>letmein</value></field>"
                    + "<field var='muc#roomconfig_enablelogging'><value>1</value></field>"
                    + "</x></query></iq>");
            String configured = owner.await("id=\"cfg\"", WAIT);
            assertTrue(configured.contains("type=\"result\""), configured);
            owner.send("<message type='groupchat' to='" + ROOM + "' id='s1'><body>the secret plan</body></message>");
            owner.await("the secret plan", WAIT); // reflected: archived before delivery

            stranger.send("<iq type='set' to='" + ROOM + "' id='q1'><query xmlns='urn:xmpp:mam:2'/></iq>");
            String refused = stranger.await("id=\"q1\"", WAIT);
            stranger.await("</iq>", WAIT);
            assertTrue(refused.contains("type=\"error\"") && refused.contains("<forbidden"), refused);
            assertTrue(!refused.contains("the secret plan"), refused);

            stranger.clear();
            stranger.send("<presence to='" + ROOM + "/stranger'><x xmlns='http://jabber.org/protocol/muc'>"
                    + "<password>letmein</password></x></presence>");
            stranger.await("stranger", WAIT);
            stranger.clear();
            stranger.send("<iq type='set' to='" + ROOM + "' id='q2'><query xmlns='urn:xmpp:mam:2'/></iq>");
            String allowed = stranger.await("id=\"q2\"", WAIT);
            assertTrue(allowed.contains("the secret plan"), allowed);
        }
    }
}
