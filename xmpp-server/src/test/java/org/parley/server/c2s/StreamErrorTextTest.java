package org.parley.server.c2s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * RFC 6120 §4.9.2: a stream error is an element with its condition and an optional {@code <text/>}, escaped as
 * XML requires. The text here echoes the client's own 'to', which holds {@code <}, {@code &} and both quotes;
 * the whole transcript must still be one well-formed document from which a client's parser reads both.
 */
class StreamErrorTextTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("alice");

    static final String STREAM_NS = "http://etherx.jabber.org/streams";
    static final String STREAMS = "urn:ietf:params:xml:ns:xmpp-streams";

    @Test
    void rfc6120_4_9_2_errorTextWithMarkupCharactersIsEscapedAndReadBack() throws Exception {
        try (RawClient client = new RawClient(server.server().c2sPort())) {
            client.send("<stream:stream to='x&lt;y&amp;z&quot;w&apos;' version='1.0' xmlns='jabber:client' "
                    + "xmlns:stream='http://etherx.jabber.org/streams'>");
            client.await("</stream:stream>", Duration.ofSeconds(10));
            assertTrue(client.awaitClosed(Duration.ofSeconds(10)));
            Document transcript = parse(client.received());
            Element error = (Element) transcript.getElementsByTagNameNS(STREAM_NS, "error").item(0);
            assertNotNull(error, client.received());
            assertEquals(1, error.getElementsByTagNameNS(STREAMS, "host-unknown").getLength(), client.received());
            NodeList texts = error.getElementsByTagNameNS(STREAMS, "text");
            assertEquals(1, texts.getLength(), client.received());
            Element text = (Element) texts.item(0);
            assertEquals("this server serves localhost, not 'x<y&z\"w''", text.getTextContent());
            assertEquals("en", text.getAttributeNS("http://www.w3.org/XML/1998/namespace", "lang"));
        }
    }

    /** A namespace-aware parse with the JDK's parser, as a client library would read it. */
    static Document parse(String xml) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return factory.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    }
}
