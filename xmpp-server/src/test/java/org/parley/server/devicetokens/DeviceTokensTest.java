package org.parley.server.devicetokens;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

/**
 * Per-device tokens over real streams: issued after a password login, used with SASL HT-SHA-256-NONE
 * (XEP-0484's hashed-token mechanism in RFC 6120 SASL), listed, revoked; a revoked or forged token fails with
 * not-authorized (RFC 6120 §6.5.10).
 */
class DeviceTokensTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("dana", "eve");

    private static final Pattern TOKEN = Pattern.compile("<token[^>]*id=['\"]([^'\"]+)['\"][^>]*secret=['\"]([^'\"]+)['\"]");

    @Test
    void issueLoginWithTokenListAndRevoke() throws Exception {
        String id;
        String secret;
        try (RawClient dana = RawClient.loggedIn(server, "dana")) {
            // Offered in disco#info so a client knows to ask.
            dana.send("<iq type='get' id='d1' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
            assertTrue(dana.await("</iq>").contains(DeviceTokenModule.NS));
            dana.clear();
            dana.send("<iq type='set' id='t1'><issue xmlns='" + DeviceTokenModule.NS + "' device='Chromium on Linux'/></iq>");
            Matcher m = TOKEN.matcher(reorder(dana.await("</iq>")));
            assertTrue(m.find(), dana.received());
            id = m.group(1);
            secret = m.group(2);
        }

        // HT-SHA-256-NONE is advertised (over TLS) and logs in; the success proves the server knew the token.
        try (RawClient device = RawClient.directTls(server.server().directTlsPort(), server.clientSslContext())) {
            assertTrue(device.openStream().await("</stream:features>").contains("<mechanism>HT-SHA-256-NONE</mechanism>"));
            device.send(auth("dana", DeviceTokens.hmac(secret, "Initiator")));
            String success = device.await("</success>");
            String data = success.substring(success.indexOf("<success"));
            data = data.substring(data.indexOf('>') + 1, data.indexOf("</success>"));
            assertArrayEquals(DeviceTokens.hmac(secret, "Responder"), Base64.getDecoder().decode(data));
            device.clear();
            device.openStream().await("</stream:features>");
            device.send("<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>web</resource></bind></iq>")
                    .await("</iq>");
            device.clear();
            device.send("<iq type='get' id='l1'><list xmlns='" + DeviceTokenModule.NS + "'/></iq>");
            String list = device.await("</iq>");
            assertTrue(list.contains("id=\"" + id + "\"") || list.contains("id='" + id + "'"), list);
            assertTrue(list.contains("Chromium on Linux"), list);
            device.clear();
            // Revoking another account's or an unknown id: item-not-found.
            device.send("<iq type='set' id='r0'><revoke xmlns='" + DeviceTokenModule.NS + "' id='nope'/></iq>");
            assertTrue(device.await("</iq>").contains("item-not-found"));
            device.clear();
            device.send("<iq type='set' id='r1'><revoke xmlns='" + DeviceTokenModule.NS + "' id='" + id + "'/></iq>");
            assertTrue(device.await("</iq>").contains("type=\"result\"") || device.received().contains("type='result'"),
                    device.received());
        }

        // Revoked: not-authorized.
        try (RawClient device = RawClient.directTls(server.server().directTlsPort(), server.clientSslContext())) {
            device.openStream().await("</stream:features>");
            device.send(auth("dana", DeviceTokens.hmac(secret, "Initiator")));
            assertTrue(device.await("</failure>").contains("<not-authorized"));
        }
    }

    @Test
    void aTokenOnlyWorksForItsOwnAccountAndIsBoundedPerAccount() throws Exception {
        String secret;
        try (RawClient eve = RawClient.loggedIn(server, "eve")) {
            for (int i = 0; i <= DeviceTokens.MAX_PER_ACCOUNT; i++) {
                eve.clear();
                eve.send("<iq type='set' id='t" + i + "'><issue xmlns='" + DeviceTokenModule.NS + "' device='d" + i + "'/></iq>");
                eve.await("</iq>");
            }
            Matcher m = TOKEN.matcher(reorder(eve.received()));
            assertTrue(m.find());
            secret = m.group(2);
            eve.clear();
            eve.send("<iq type='get' id='l'><list xmlns='" + DeviceTokenModule.NS + "'/></iq>");
            String list = eve.await("</iq>");
            assertEquals(DeviceTokens.MAX_PER_ACCOUNT, list.split("<device ").length - 1, list);
            assertFalse(list.contains("name=\"d0\"") || list.contains("name='d0'"), "the least recently used went");
        }
        try (RawClient device = RawClient.directTls(server.server().directTlsPort(), server.clientSslContext())) {
            device.openStream().await("</stream:features>");
            device.send(auth("dana", DeviceTokens.hmac(secret, "Initiator")));
            assertTrue(device.await("</failure>").contains("<not-authorized"));
            device.clear();
            // A malformed initial response (no NUL, wrong length) is malformed-request, not a crash.
            device.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='HT-SHA-256-NONE'>"
                    + Base64.getEncoder().encodeToString("eve".getBytes(StandardCharsets.UTF_8)) + "</auth>");
            assertTrue(device.await("</failure>").contains("<malformed-request"));
        }
    }

    @Test
    void changingThePasswordRevokesTheDevices_xep0077_3_3() throws Exception {
        server.createUser("fay");
        String first = issue("fay", "phone");
        assertLogsIn("fay", first); // a fresh token logs in
        // The owner changes the password in band (XEP-0077 §3.3): the token stops working.
        try (RawClient fay = RawClient.loggedIn(server, "fay")) {
            fay.send("<iq type='set' id='p1'><query xmlns='jabber:iq:register'><username>fay</username>"
                    + "<password>a-new-password-1</password></query></iq>");
            String answer = fay.await("</iq>");
            assertTrue(answer.contains("type=\"result\"") || answer.contains("type='result'"), answer);
        }
        assertRefused("fay", first, "revoked by the password change");

        // An admin reset (the same AccountService the ad-hoc commands and the CLI use) revokes too.
        server.server().accounts().setPassword("fay", TestServer.PASSWORD);
        String second = issue("fay", "laptop");
        assertLogsIn("fay", second); // a token issued after the reset
        server.server().accounts().setPassword("fay", "reset-by-admin-1");
        assertRefused("fay", second, "revoked by the admin reset");
        server.server().accounts().setPassword("fay", TestServer.PASSWORD);
    }

    private static String issue(String user, String device) throws Exception {
        try (RawClient c = RawClient.loggedIn(server, user)) {
            c.send("<iq type='set' id='t'><issue xmlns='" + DeviceTokenModule.NS + "' device='" + device + "'/></iq>");
            Matcher m = TOKEN.matcher(reorder(c.await("</iq>")));
            assertTrue(m.find(), c.received());
            return m.group(2);
        }
    }

    /** The SASL outcome of logging in with the token: {@code </success>} or {@code </failure>}. */
    private static String saslOutcome(String user, String secret, String expected) throws Exception {
        try (RawClient device = RawClient.directTls(server.server().directTlsPort(), server.clientSslContext())) {
            device.openStream().await("</stream:features>");
            device.send(auth(user, DeviceTokens.hmac(secret, "Initiator")));
            return device.await(expected);
        }
    }

    private static void assertLogsIn(String user, String secret) throws Exception {
        saslOutcome(user, secret, "</success>");
    }

    private static void assertRefused(String user, String secret, String why) throws Exception {
        assertTrue(saslOutcome(user, secret, "</failure>").contains("<not-authorized"), why);
    }

    private static String auth(String user, byte[] initiator) {
        byte[] name = user.getBytes(StandardCharsets.UTF_8);
        byte[] payload = new byte[name.length + 1 + initiator.length];
        System.arraycopy(name, 0, payload, 0, name.length);
        System.arraycopy(initiator, 0, payload, name.length + 1, initiator.length);
        return "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='HT-SHA-256-NONE'>"
                + Base64.getEncoder().encodeToString(payload) + "</auth>";
    }

    /** Attribute order on the wire is the serializer's: put id before secret for the pattern. */
    private static String reorder(String xml) {
        Matcher id = Pattern.compile("<token[^>]*\\sid=['\"]([^'\"]+)['\"]").matcher(xml);
        Matcher secret = Pattern.compile("<token[^>]*\\ssecret=['\"]([^'\"]+)['\"]").matcher(xml);
        String last = null;
        while (id.find() && secret.find()) {
            last = "<token id='" + id.group(1) + "' secret='" + secret.group(1) + "'";
        }
        return last == null ? xml : last;
    }
}
