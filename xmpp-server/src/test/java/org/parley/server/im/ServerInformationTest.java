package org.parley.server.im;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.disco.ServiceDiscoveryManager;
import org.jivesoftware.smackx.disco.packet.DiscoverInfo;
import org.jivesoftware.smackx.iqversion.VersionManager;
import org.jivesoftware.smackx.iqversion.packet.Version;
import org.jivesoftware.smackx.xdata.FormField;
import org.jivesoftware.smackx.xdata.packet.DataForm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.impl.JidCreate;
import org.parley.server.ParleyServer;
import org.parley.server.config.ServerSettings;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

/**
 * What the server says about itself: its software version (XEP-0092), contact addresses (XEP-0157) and
 * STUN/TURN servers with coturn-style credentials (XEP-0215).
 */
class ServerInformationTest {

    private static final String SECRET = "coturn-static-auth-secret";

    @RegisterExtension
    static final TestServer server = TestServer.withSettings(s -> s.withDiscovery(
            new ServerSettings.ContactAddresses(Map.of(
                    "abuse", List.of("mailto:abuse@example.org", "xmpp:abuse@example.org"),
                    "support", List.of("https://example.org/support"))),
            new ServerSettings.ExternalServices(List.of(
                    new ServerSettings.ExternalServices.Service("stun", "stun.example.org", 3478, null),
                    new ServerSettings.ExternalServices.Service("turn", "turn.example.org", 3478, "udp"),
                    new ServerSettings.ExternalServices.Service("turns", "turn.example.org", 5349, "tcp")),
                    SECRET, Duration.ofHours(2))), "alice");

    @Test
    void theServerAnswersAsParleyWithItsOwnVersion_xep0092() throws Exception {
        XMPPTCPConnection alice = server.login("alice");
        try {
            Version version = VersionManager.getInstanceFor(alice).getVersion(JidCreate.from("localhost"));
            assertEquals("Parley", version.getName());
            assertEquals(ParleyServer.version(), version.getVersion());
            // From the Maven-filtered parley-server.properties, not the "development" fallback.
            assertTrue(version.getVersion().matches("\\d+\\.\\d+\\.\\d+.*"), version.getVersion());
            assertTrue(ServiceDiscoveryManager.getInstanceFor(alice).serverSupportsFeature("jabber:iq:version"));
        } finally {
            alice.disconnect();
        }
    }

    @Test
    void versionRequestsToAUsersBareJidAreNotAnsweredByTheServer() throws Exception {
        try (RawClient c = RawClient.loggedIn(server, "alice")) {
            c.send("<iq type='get' id='v' to='alice@localhost'><query xmlns='jabber:iq:version'/></iq>");
            assertTrue(c.await("</iq>").contains("<service-unavailable"), c.received());
        }
    }

    @Test
    void contactAddressesAreInTheServersDiscoInfo_xep0157() throws Exception {
        XMPPTCPConnection alice = server.login("alice");
        try {
            DiscoverInfo info = ServiceDiscoveryManager.getInstanceFor(alice).discoverInfo(JidCreate.from("localhost"));
            DataForm form = info.getExtensions(DataForm.class).stream()
                    .filter(f -> "http://jabber.org/network/serverinfo".equals(f.getFormType())).findFirst().orElse(null);
            assertNotNull(form, info.toXML().toString());
            FormField abuse = form.getField("abuse-addresses");
            assertEquals(List.of("mailto:abuse@example.org", "xmpp:abuse@example.org"), abuse.getValuesAsString());
            assertEquals(List.of("https://example.org/support"), form.getField("support-addresses").getValuesAsString());
            assertEquals(null, form.getField("admin-addresses"), "kinds without addresses are left out");
            assertTrue(info.containsFeature("urn:xmpp:extdisco:2"));
        } finally {
            alice.disconnect();
        }
    }

    @Test
    void stunAndTurnServersAreListedWithTimeLimitedCoturnCredentials_xep0215_3_1() throws Exception {
        try (RawClient c = RawClient.loggedIn(server, "alice")) {
            Instant before = Instant.now();
            c.send("<iq type='get' id='s' to='localhost'><services xmlns='urn:xmpp:extdisco:2'/></iq>");
            String answer = c.await("</iq>");
            assertTrue(answer.contains("<service type=\"stun\" host=\"stun.example.org\" port=\"3478\">"), answer);
            Matcher turn = Pattern.compile("<service type=\"turn\" host=\"turn.example.org\" port=\"3478\" transport=\"udp\" "
                    + "username=\"(\\d+):alice@localhost\" password=\"([^\"]+)\" expires=\"([^\"]+)\" restricted=\"1\"")
                    .matcher(answer);
            assertTrue(turn.find(), answer);
            long expiry = Long.parseLong(turn.group(1));
            assertTrue(Math.abs(expiry - before.plus(Duration.ofHours(2)).getEpochSecond()) < 60, answer);
            assertEquals(Instant.ofEpochSecond(expiry), Instant.parse(turn.group(3)));
            // What coturn computes from the same secret to check the password:
            assertEquals(ExternalServicesHandler.password(SECRET, expiry + ":alice@localhost"), turn.group(2));
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA1");
            mac.init(new javax.crypto.spec.SecretKeySpec(SECRET.getBytes(), "HmacSHA1"));
            assertEquals(java.util.Base64.getEncoder().encodeToString(mac.doFinal((expiry + ":alice@localhost").getBytes())),
                    turn.group(2));

            c.clear();
            c.send("<iq type='get' id='t' to='localhost'><services xmlns='urn:xmpp:extdisco:2' type='stun'/></iq>");
            String stunOnly = c.await("</iq>");
            assertTrue(stunOnly.contains("type=\"stun\"") && !stunOnly.contains("type=\"turn"), stunOnly);
        }
    }

    @Test
    void credentialsForOneServiceAndItemNotFoundForAnUnknownOne_xep0215_3_2() throws Exception {
        try (RawClient c = RawClient.loggedIn(server, "alice")) {
            c.send("<iq type='get' id='c' to='localhost'><credentials xmlns='urn:xmpp:extdisco:2'>"
                    + "<service type='turns' host='turn.example.org'/></credentials></iq>");
            String answer = c.await("</iq>");
            assertTrue(answer.contains("<credentials xmlns=\"urn:xmpp:extdisco:2\"><service type=\"turns\" "
                    + "host=\"turn.example.org\" port=\"5349\" transport=\"tcp\" username=\""), answer);
            c.clear();
            c.send("<iq type='get' id='u' to='localhost'><credentials xmlns='urn:xmpp:extdisco:2'>"
                    + "<service type='turn' host='elsewhere.example.org'/></credentials></iq>");
            assertTrue(c.await("</iq>").contains("<item-not-found"), c.received());
            c.clear();
            c.send("<iq type='get' id='b' to='localhost'><credentials xmlns='urn:xmpp:extdisco:2'/></iq>");
            assertTrue(c.await("</iq>").contains("<bad-request"), c.received());
        }
    }
}
