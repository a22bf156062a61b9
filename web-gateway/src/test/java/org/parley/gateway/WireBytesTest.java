package org.parley.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import javax.xml.parsers.DocumentBuilderFactory;

import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.impl.JidCreate;
import org.parley.gateway.testing.RawBosh;
import org.parley.gateway.testing.RawWebSocket;
import org.parley.gateway.testing.TestGateway;
import org.parley.server.parser.StanzaParsing;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Issue 18 on the web transports: stanzas rendered once into UTF-8 reach WebSocket and BOSH clients as those
 * bytes (BOSH builds its response bodies from bytes, WebSocket sends them as the text message's payload), and
 * WebSocket messages batched by the flusher stay one stanza per message, in order (RFC 7395 §3.3.3).
 */
class WireBytesTest {

    @RegisterExtension
    static final TestGateway gateway = TestGateway.withUsers("tcp", "ws", "bosh", "burst");

    /** Two-byte, three-byte and four-byte (a surrogate pair in Java) UTF-8 sequences. */
    private static final String TEXT = "café é ß — 中文 😀👍🏽 ok";

    @Test
    void nonAsciiTextRoundTripsExactlyBetweenTcpAndWebSocket() throws Exception {
        XMPPTCPConnection tcp = gateway.server().login("tcp", "tcp");
        BlockingQueue<String> atTcp = new LinkedBlockingQueue<>();
        tcp.addAsyncStanzaListener(s -> atTcp.add(((Message) s).getBody()), s -> s instanceof Message m && m.getBody() != null);
        try (RawWebSocket ws = RawWebSocket.connect(gateway.webSocketUri())) {
            ws.login("ws", "raw");
            tcp.sendStanza(tcp.getStanzaFactory().buildMessageStanza().to(JidCreate.from("ws@localhost/raw"))
                    .ofType(Message.Type.chat).setBody(TEXT).build());
            assertEquals(TEXT, body(ws.awaitMessage("<message")));

            ws.send("<message xmlns='jabber:client' to='tcp@localhost/tcp' type='chat'><body>" + TEXT + "</body></message>");
            assertEquals(TEXT, atTcp.poll(10, TimeUnit.SECONDS));
        } finally {
            tcp.disconnect();
        }
    }

    @Test
    void nonAsciiTextRoundTripsExactlyBetweenTcpAndBosh() throws Exception {
        XMPPTCPConnection tcp = gateway.server().login("tcp", "tcp2");
        BlockingQueue<String> atTcp = new LinkedBlockingQueue<>();
        tcp.addAsyncStanzaListener(s -> atTcp.add(((Message) s).getBody()), s -> s instanceof Message m && m.getBody() != null);
        try {
            RawBosh bosh = new RawBosh(gateway.boshUri());
            bosh.create(10, 1, "");
            bosh.login("bosh", "raw");
            tcp.sendStanza(tcp.getStanzaFactory().buildMessageStanza().to(JidCreate.from("bosh@localhost/raw"))
                    .ofType(Message.Type.chat).setBody(TEXT).build());
            String response = "";
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!response.contains("<message") && System.nanoTime() < deadline) {
                response = bosh.next("", ""); // held until something arrives or the 10 s wait runs out
            }
            assertEquals(TEXT, body(response), response);

            bosh.next("", "<message xmlns='jabber:client' to='tcp@localhost/tcp2' type='chat'><body>" + TEXT
                    + "</body></message>");
            assertEquals(TEXT, atTcp.poll(10, TimeUnit.SECONDS));
        } finally {
            tcp.disconnect();
        }
    }

    /** A burst to one WebSocket client leaves in few writes, but every stanza is still its own message, in order. */
    @Test
    void rfc7395_3_3_3_aBatchedBurstStaysOneStanzaPerMessageInOrder() throws Exception {
        XMPPTCPConnection tcp = gateway.server().login("tcp", "burst");
        int count = 300;
        try (RawWebSocket ws = RawWebSocket.connect(gateway.webSocketUri())) {
            ws.login("burst", "raw");
            for (int i = 0; i < count; i++) {
                tcp.sendStanza(tcp.getStanzaFactory().buildMessageStanza().to(JidCreate.from("burst@localhost/raw"))
                        .ofType(Message.Type.chat).setBody("n" + i + " " + TEXT).build());
            }
            List<String> bodies = new ArrayList<>();
            while (bodies.size() < count) {
                String message = ws.awaitMessage("<message");
                assertNotNull(StanzaParsing.parse(message), "one complete element per message: " + message);
                assertTrue(message.startsWith("<message") && message.endsWith("</message>"), message);
                bodies.add(body(message));
            }
            for (int i = 0; i < count; i++) {
                assertEquals("n" + i + " " + TEXT, bodies.get(i));
            }
        } finally {
            tcp.disconnect();
        }
    }

    /** The text of the first {@code <body/>} in jabber:client, read by the JDK's namespace-aware parser. */
    private static String body(String xml) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        Element root = factory.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)))
                .getDocumentElement();
        NodeList bodies = root.getElementsByTagNameNS("jabber:client", "body");
        assertTrue(bodies.getLength() > 0, xml);
        return bodies.item(0).getTextContent();
    }
}
