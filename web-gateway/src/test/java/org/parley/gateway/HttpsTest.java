package org.parley.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.gateway.testing.RawBosh;
import org.parley.gateway.testing.RawWebSocket;
import org.parley.gateway.testing.TestGateway;
import org.parley.server.config.ServerSettings;

/** http.tls-port: the same endpoints over HTTPS with the XMPP server's certificate. */
class HttpsTest {

    @RegisterExtension
    static final TestGateway gateway = TestGateway.withSettings(TestGateway.http(h -> new ServerSettings.Http(
            h.bindAddress(), h.port(), 0, h.allowedOrigins(), h.bosh())), "alice");

    private HttpClient https() {
        return RawBosh.https(gateway.server().clientSslContext());
    }

    @Test
    void webSocketOverTlsWithTheServersCertificate() throws Exception {
        java.net.URI wss = java.net.URI.create("wss://127.0.0.1:" + gateway.gateway().httpsPort() + "/xmpp-websocket");
        try (RawWebSocket ws = RawWebSocket.connect(wss, null, gateway.server().clientSslContext(), "xmpp")
                .get(10, TimeUnit.SECONDS)) {
            ws.send(RawWebSocket.OPEN);
            assertTrue(ws.awaitMessage("</stream:features>").contains("<mechanism>PLAIN</mechanism>"));
        }
        try (RawWebSocket ws = RawWebSocket.connect(wss, null, gateway.server().clientSslContext(), "xmpp")
                .get(10, TimeUnit.SECONDS).login("alice", "wss")) {
            ws.send("<iq xmlns='jabber:client' type='get' id='p' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
            assertTrue(ws.awaitMessage("id=\"p\"").contains("type=\"result\""));
        }
    }

    @Test
    void boshSessionCreatedOverTlsRefusesPlainHttp() throws Exception {
        RawBosh bosh = new RawBosh(gateway.httpsUri("/http-bind"), https());
        assertTrue(bosh.create(5, 1, "").contains("<mechanism>PLAIN</mechanism>"));
        bosh.login("alice", "https");
        // XEP-0124 §15: a session started over TLS must stay on TLS; the stray request is refused, the session lives.
        HttpResponse<String> plain = bosh.via(gateway.boshUri(), RawBosh.http())
                .post(bosh.body(bosh.rid(), "", ""));
        assertEquals(403, plain.statusCode());
        String pong = bosh.next("", "<iq xmlns='jabber:client' type='get' id='p' to='localhost'>"
                + "<ping xmlns='urn:xmpp:ping'/></iq>");
        assertTrue(pong.contains("id=\"p\""), pong);
    }

    @Test
    void hostMetaListsSecureEndpointsFirst() throws Exception {
        int http = gateway.gateway().httpPort();
        int tls = gateway.gateway().httpsPort();
        HttpResponse<String> response = https().send(HttpRequest.newBuilder(
                gateway.httpsUri("/.well-known/host-meta.json")).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals("{\"links\":["
                + "{\"rel\":\"urn:xmpp:alt-connections:websocket\",\"href\":\"wss://127.0.0.1:" + tls + "/xmpp-websocket\"},"
                + "{\"rel\":\"urn:xmpp:alt-connections:xbosh\",\"href\":\"https://127.0.0.1:" + tls + "/http-bind\"},"
                + "{\"rel\":\"urn:xmpp:alt-connections:websocket\",\"href\":\"ws://127.0.0.1:" + http + "/xmpp-websocket\"},"
                + "{\"rel\":\"urn:xmpp:alt-connections:xbosh\",\"href\":\"http://127.0.0.1:" + http + "/http-bind\"}]}",
                response.body());
    }
}
