package org.parley.server.abuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

/**
 * Issue 17, rows "100 sessions on one account" (RFC 6120 §7.6.2.1 resource-constraint beyond
 * limits.sessions-per-account) and "20 000 messages as fast as possible from one user" (XEP-0205 §4.8: a stanza
 * rate per session, answered with resource-constraint, type wait).
 */
class SessionLimitsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    static final TestServer server = TestServer.withSettings(GuardTweak.of(g -> {
        g.sessionsPerAccount = 3;
        g.stanzaRate = 10;
        g.stanzaBurst = 20;
    }), "carol", "dave", "erin");

    private static RawClient authenticated(String user) throws Exception {
        RawClient client = RawClient.directTls(server.server().directTlsPort(), server.clientSslContext());
        client.openStream().await("</stream:features>");
        client.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + Base64.getEncoder()
                .encodeToString(("\0" + user + "\0" + TestServer.PASSWORD).getBytes(StandardCharsets.UTF_8))
                + "</auth>").await("<success");
        client.clear();
        client.openStream().await("</stream:features>");
        client.clear();
        return client;
    }

    private static String bind(RawClient client, String resource) throws Exception {
        client.clear();
        client.send("<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" + resource
                + "</resource></bind></iq>");
        return client.await("</iq>", WAIT);
    }

    @Test
    void anAccountBindsAtMostTheConfiguredNumberOfSessions() throws Exception {
        List<RawClient> sessions = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                RawClient c = authenticated("carol");
                sessions.add(c);
                assertTrue(bind(c, "r" + i).contains("type=\"result\"") || c.received().contains("type='result'"),
                        c.received());
            }
            RawClient fourth = authenticated("carol");
            sessions.add(fourth);
            String refused = bind(fourth, "r3");
            assertTrue(refused.contains("type=\"error\"") || refused.contains("type='error'"), refused);
            assertTrue(refused.contains("<resource-constraint") && refused.contains("wait"), refused);
            // Taking over one of its own resources (RFC 6120 §7.7.2.2 conflict) is not one more session.
            String replaced = bind(fourth, "r0");
            assertTrue(replaced.contains("<jid>carol@localhost/r0</jid>"), replaced);
            assertEquals(3, server.server().guard().settings().sessionsPerAccount());
        } finally {
            for (RawClient c : sessions) {
                c.close();
            }
        }
    }

    @Test
    void aMessageFloodIsCutToTheStanzaRate() throws Exception {
        try (RawClient flooder = RawClient.loggedIn(server, "dave");
             RawClient other = RawClient.loggedIn(server, "erin")) {
            StringBuilder burst = new StringBuilder();
            int sent = 200;
            for (int i = 0; i < sent; i++) {
                burst.append("<message to='erin@localhost/raw' id='m").append(i).append("' type='chat'><body>flood ")
                        .append(i).append("</body></message>");
            }
            flooder.send(burst.toString());
            flooder.await("id=\"m" + (sent - 1) + "\"", WAIT); // the last one is refused, long after the burst
            String answers = flooder.received();
            int refused = answers.split("<resource-constraint", -1).length - 1;
            // The burst (20) and what refilled meanwhile (10 a second) pass; the rest is refused.
            assertTrue(refused >= sent - 60 && refused < sent - 19, refused + " of " + sent + " refused");
            Service.pingStaysFast(other);
            other.await("flood 0", WAIT);
        }
    }
}
