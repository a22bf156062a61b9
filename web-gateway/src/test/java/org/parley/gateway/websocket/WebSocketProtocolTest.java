package org.parley.gateway.websocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.packet.Presence;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.gateway.testing.RawBosh;
import org.parley.gateway.testing.RawWebSocket;
import org.parley.gateway.testing.TestGateway;
import org.parley.server.parser.StanzaParsing;

/** RFC 7395 over raw WebSocket messages: handshake rules, framing, restarts, errors, limits, dropped sockets. */
class WebSocketProtocolTest {

    @RegisterExtension
    static final TestGateway gateway = TestGateway.withUsers("alice", "dropper", "observer");

    private static final String STREAMS = "urn:ietf:params:xml:ns:xmpp-streams";

    @Test
    void subprotocolIsRequiredAndEchoed() throws Exception {
        ExecutionException refused = assertThrows(ExecutionException.class,
                () -> RawWebSocket.connect(gateway.webSocketUri(), null, null).get(10, TimeUnit.SECONDS));
        WebSocketHandshakeException handshake = assertInstanceOf(WebSocketHandshakeException.class, refused.getCause());
        assertEquals(400, handshake.getResponse().statusCode());

        try (RawWebSocket ws = RawWebSocket.connect(gateway.webSocketUri(), null, null, "chat", "xmpp")
                .get(10, TimeUnit.SECONDS)) {
            assertEquals("xmpp", ws.socket().getSubprotocol());
        }
    }

    @Test
    void forbiddenOriginIsRefusedWith403() throws Exception {
        ExecutionException refused = assertThrows(ExecutionException.class, () -> RawWebSocket.connect(
                gateway.webSocketUri(), "https://evil.example", null, "xmpp").get(10, TimeUnit.SECONDS));
        WebSocketHandshakeException handshake = assertInstanceOf(WebSocketHandshakeException.class, refused.getCause());
        assertEquals(403, handshake.getResponse().statusCode());

        try (RawWebSocket ws = RawWebSocket.connect(gateway.webSocketUri(), "http://localhost:5173", null, "xmpp")
                .get(10, TimeUnit.SECONDS)) {
            assertEquals("xmpp", ws.socket().getSubprotocol(), "a page served from loopback is allowed by default");
        }
    }

    @Test
    void plainHttpRequestForTheEndpointIsToldToUpgrade() throws Exception {
        HttpResponse<String> response = RawBosh.http().send(HttpRequest.newBuilder(gateway.httpUri("/xmpp-websocket"))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(426, response.statusCode());
    }

    @Test
    void openRestartAndCloseUseTheFramingNamespaceOneElementPerMessage() throws Exception {
        try (RawWebSocket ws = RawWebSocket.connect(gateway.webSocketUri())) {
            ws.send(RawWebSocket.OPEN);
            String open = ws.next();
            assertTrue(open.startsWith("<open xmlns='" + RawWebSocket.FRAMING + "'"), open);
            assertTrue(open.contains("from='localhost'") && open.contains("version='1.0'"), open);
            String firstId = RawBosh.attribute(open, "id");
            String features = ws.next();
            assertTrue(features.startsWith("<stream:features xmlns:stream=\"http://etherx.jabber.org/streams\">"), features);
            assertTrue(features.contains("<mechanism>PLAIN</mechanism>"), "loopback counts as secure: " + features);
            assertTrue(!features.contains("starttls"), "never STARTTLS inside a WebSocket: " + features);

            ws.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
                    + java.util.Base64.getEncoder().encodeToString("\0alice\0secret-password".getBytes()) + "</auth>");
            assertTrue(ws.next().startsWith("<success"));
            ws.send(RawWebSocket.OPEN); // the stream restart after SASL is a new <open/> (RFC 7395 §3.7)
            String reopened = ws.next();
            assertTrue(reopened.startsWith("<open "), reopened);
            assertNotEquals(firstId, RawBosh.attribute(reopened, "id"), "a fresh stream id");
            assertTrue(ws.next().contains("<bind xmlns=\"urn:ietf:params:xml:ns:xmpp-bind\"></bind>"));
            ws.send("<iq xmlns='jabber:client' type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                    + "<resource>raw</resource></bind></iq>");
            assertTrue(ws.next().contains("<jid>alice@localhost/raw</jid>"));
            ws.send("<iq xmlns='jabber:client' type='get' id='p' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
            String pong = ws.next();
            assertTrue(pong.startsWith("<iq xmlns=\"jabber:client\"") && pong.contains("id=\"p\""), pong);

            ws.send(RawWebSocket.CLOSE);
            assertEquals("<close xmlns='" + RawWebSocket.FRAMING + "'/>", ws.next(), "the close is answered");
            assertTrue(ws.awaitClosed(), "and the server closes the WebSocket");
            for (String message : ws.received()) {
                assertNotNull(StanzaParsing.parse(message), "one complete element per message: " + message);
            }
        }
    }

    @Test
    void openForAnotherHostIsAStreamErrorThenClose() throws Exception {
        try (RawWebSocket ws = RawWebSocket.connect(gateway.webSocketUri())) {
            ws.send("<open xmlns='" + RawWebSocket.FRAMING + "' to='elsewhere.example' version='1.0'/>");
            assertTrue(ws.next().startsWith("<open "));
            String error = ws.next();
            assertTrue(error.startsWith("<stream:error xmlns:stream=\"http://etherx.jabber.org/streams\">"), error);
            assertTrue(error.contains("<host-unknown xmlns=\"" + STREAMS + "\"></host-unknown>"), error);
            assertEquals(RawWebSocket.CLOSE, ws.next().replace('"', '\''));
            assertTrue(ws.awaitClosed());
        }
    }

    /**
     * RFC 6120 §4.9.2 with RFC 7395 §3.6: the error's text (here the client's own 'to', holding {@code <},
     * {@code &} and both quotes) is escaped, the error is one complete element a parser reads, and
     * {@code <close/>} follows it.
     */
    @Test
    void rfc7395_3_6_streamErrorTextIsEscapedAndFollowedByClose() throws Exception {
        try (RawWebSocket ws = RawWebSocket.connect(gateway.webSocketUri())) {
            ws.send("<open xmlns='" + RawWebSocket.FRAMING + "' to='x&lt;y&amp;z&quot;w&apos;' version='1.0'/>");
            assertTrue(ws.next().startsWith("<open "));
            String message = ws.next();
            javax.xml.parsers.DocumentBuilderFactory factory = javax.xml.parsers.DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(true);
            org.w3c.dom.Element error = factory.newDocumentBuilder().parse(new java.io.ByteArrayInputStream(
                    message.getBytes(java.nio.charset.StandardCharsets.UTF_8))).getDocumentElement();
            assertEquals("http://etherx.jabber.org/streams", error.getNamespaceURI(), message);
            assertEquals("error", error.getLocalName(), message);
            assertEquals(1, error.getElementsByTagNameNS(STREAMS, "host-unknown").getLength(), message);
            org.w3c.dom.Element text = (org.w3c.dom.Element) error.getElementsByTagNameNS(STREAMS, "text").item(0);
            assertNotNull(text, message);
            assertEquals("this server serves localhost, not 'x<y&z\"w''", text.getTextContent());
            assertEquals("en", text.getAttributeNS("http://www.w3.org/XML/1998/namespace", "lang"));
            assertEquals(RawWebSocket.CLOSE, ws.next().replace('"', '\''));
            assertTrue(ws.awaitClosed());
        }
    }

    @Test
    void somethingOtherThanOpenFirstIsAStreamError() throws Exception {
        try (RawWebSocket ws = RawWebSocket.connect(gateway.webSocketUri())) {
            ws.send("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost'"
                    + " version='1.0'>");
            String error = ws.awaitMessage("<stream:error");
            assertTrue(error.contains("<not-well-formed"), "a TCP-style header is no complete element: " + error);
            assertTrue(ws.awaitClosed());
        }
        try (RawWebSocket ws = RawWebSocket.connect(gateway.webSocketUri())) {
            ws.send("<message xmlns='jabber:client' to='alice@localhost'><body>hi</body></message>");
            String error = ws.awaitMessage("<stream:error");
            assertTrue(error.contains("<invalid-namespace"), error);
            assertTrue(ws.awaitClosed());
        }
        try (RawWebSocket ws = RawWebSocket.connect(gateway.webSocketUri())) {
            ws.send("<open xmlns='" + RawWebSocket.FRAMING + "' to='localhost'/>");
            assertTrue(ws.awaitMessage("<stream:error").contains("<unsupported-version"));
        }
    }

    @Test
    void restrictedXmlAndBinaryMessagesAreStreamErrors() throws Exception {
        try (RawWebSocket ws = RawWebSocket.connect(gateway.webSocketUri())) {
            ws.send(RawWebSocket.OPEN);
            ws.awaitMessage("</stream:features>");
            ws.send("<!-- a comment --><iq xmlns='jabber:client' type='get' id='x'/>");
            assertTrue(ws.awaitMessage("<stream:error").contains("<restricted-xml"));
            assertTrue(ws.awaitClosed());
        }
        try (RawWebSocket ws = RawWebSocket.connect(gateway.webSocketUri())) {
            ws.send(RawWebSocket.OPEN);
            ws.awaitMessage("</stream:features>");
            ws.socket().sendBinary(ByteBuffer.wrap(new byte[] {1, 2, 3}), true).get(10, TimeUnit.SECONDS);
            assertTrue(ws.awaitMessage("<stream:error").contains("<bad-format"));
            assertTrue(ws.awaitClosed());
        }
    }

    @Test
    void messageOverTheStanzaLimitIsPolicyViolation() throws Exception {
        try (RawWebSocket ws = RawWebSocket.connect(gateway.webSocketUri())) {
            ws.send(RawWebSocket.OPEN);
            ws.awaitMessage("</stream:features>");
            // Before authentication the limit is limits.pre-auth-stanza-size, 16 KiB. The send is not waited for:
            // the server stops reading and closes the connection before the message is through (issue 17).
            ws.socket().sendText("<iq xmlns='jabber:client' type='get' id='big'><query xmlns='jabber:iq:version'>"
                    + "x".repeat(100 * 1024) + "</query></iq>", true);
            String error = ws.awaitMessage("<stream:error");
            assertTrue(error.contains("<policy-violation"), error);
            assertTrue(ws.awaitClosed());
        }
        try (RawWebSocket ws = RawWebSocket.connect(gateway.webSocketUri()).login("alice", "big")) {
            // After authentication, 256 KiB: a 100 KiB message passes, a 300 KiB one does not.
            ws.send("<message xmlns='jabber:client' to='alice@localhost/big'><body>" + "y".repeat(100 * 1024)
                    + "</body></message>");
            assertTrue(ws.awaitMessage("<message").length() > 100 * 1024);
            ws.socket().sendText("<message xmlns='jabber:client' to='alice@localhost/big'><body>"
                    + "z".repeat(300 * 1024) + "</body></message>", true);
            assertTrue(ws.awaitMessage("<stream:error").contains("<policy-violation"));
            assertTrue(ws.awaitClosed());
        }
    }

    @Test
    void droppedSocketEndsTheSessionAndContactsSeeTheUserLeave() throws Exception {
        gateway.befriend("dropper", "observer");
        XMPPTCPConnection observer = gateway.server().login("observer");
        try {
            BlockingQueue<Presence> seen = new LinkedBlockingQueue<>();
            observer.addAsyncStanzaListener(s -> seen.add((Presence) s),
                    s -> s instanceof Presence p && p.getFrom() != null && p.getFrom().toString().startsWith("dropper@"));
            observer.sendStanza(observer.getStanzaFactory().buildPresenceStanza().build());
            RawWebSocket ws = RawWebSocket.connect(gateway.webSocketUri()).login("dropper", "web");
            ws.send("<presence xmlns='jabber:client'/>");
            Presence online = seen.poll(10, TimeUnit.SECONDS);
            assertNotNull(online);
            assertEquals(Presence.Type.available, online.getType());
            ws.socket().abort(); // no <close/>, no close frame: the TCP connection just goes away
            Presence offline = seen.poll(10, TimeUnit.SECONDS);
            assertNotNull(offline, "the observer sees dropper leave");
            assertEquals(Presence.Type.unavailable, offline.getType());
        } finally {
            observer.disconnect();
        }
    }
}
