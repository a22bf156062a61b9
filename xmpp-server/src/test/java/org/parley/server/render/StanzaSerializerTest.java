package org.parley.server.render;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import javax.xml.parsers.DocumentBuilderFactory;

import org.apache.vysper.xml.fragment.Renderer;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.junit.jupiter.api.Test;
import org.parley.server.parser.StanzaParsing;
import org.parley.server.routing.StanzaErrors;
import org.w3c.dom.Element;

/**
 * The serialiser that replaced Vysper's Renderer on the output path: the same bytes as the Renderer where
 * the Renderer is right, correct escaping (XML 1.0 §2.2, §2.4, §2.11, §3.3.3) where it is not, namespaces
 * that a namespace-aware parser reads back as meant, and an exact round trip through Parley's own parser.
 */
class StanzaSerializerTest {

    /** Stanzas as clients send them and as the server makes them (roster, MUC, MAM, errors, PEP). */
    private static final List<String> CORPUS = List.of(
            "<message xmlns='jabber:client' to='juliet@example.com' from='romeo@example.net/orchard' type='chat' id='a1'>"
                    + "<body>Art thou not Romeo, &amp; a Montague? 1 &lt; 2 &gt; 0 \"quoted\" 'single' ]]&gt;</body>"
                    + "<active xmlns='http://jabber.org/protocol/chatstates'/></message>",
            "<presence xmlns='jabber:client' from='a@b/c'><show>away</show><status>Zzz…</status><priority>5</priority>"
                    + "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://parley.example' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/></presence>",
            "<iq xmlns='jabber:client' type='set' id='r1'><query xmlns='jabber:iq:roster'><item jid='nurse@example.com' name='Nurse &amp; co'>"
                    + "<group>Servants</group></item></query></iq>",
            "<message xmlns='jabber:client' from='room@conference.example.org/thirdwitch' to='crone1@shakespeare.lit/desktop' type='groupchat'>"
                    + "<body>Harpier cries: 'tis time, 'tis time.</body><stanza-id xmlns='urn:xmpp:sid:0' id='5f3dbc5e' by='room@conference.example.org'/>"
                    + "<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant' jid='hag66@shakespeare.lit/pda'/>"
                    + "<status code='110'/></x></message>",
            "<iq xmlns='jabber:client' type='result' id='q29302'><fin xmlns='urn:xmpp:mam:2' complete='true'>"
                    + "<set xmlns='http://jabber.org/protocol/rsm'><first index='0'>28482-98726-73623</first><last>09af3-cc343-b409f</last></set></fin></iq>",
            "<message xmlns='jabber:client' to='a@b'><result xmlns='urn:xmpp:mam:2' id='x'><forwarded xmlns='urn:xmpp:forward:0'>"
                    + "<delay xmlns='urn:xmpp:delay' stamp='2010-07-10T23:08:25Z'/><message xmlns='jabber:client' to='c@d' from='e@f/g' type='chat'>"
                    + "<body>nested</body></message></forwarded></result></message>",
            "<iq xmlns='jabber:client' type='set' id='p1'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='urn:xmpp:avatar:metadata'>"
                    + "<item id='abc'><metadata xmlns='urn:xmpp:avatar:metadata'><info bytes='12345' id='abc' type='image/png'/></metadata></item>"
                    + "</publish></pubsub></iq>",
            "<message xmlns='jabber:client' type='chat'><body xml:lang='de'>Grüße 😀 ∑ 中文</body></message>",
            "<iq xmlns='jabber:client' type='get' id='v1'><vCard xmlns='vcard-temp'/></iq>");

    @Test
    void theSameBytesAsVyspersRendererOnTheCorpus() {
        for (String xml : CORPUS) {
            Stanza stanza = StanzaParsing.parse(xml);
            assertEquals(new Renderer(stanza).getComplete(), utf8(StanzaSerializer.toBytes(stanza)), xml);
        }
        Stanza message = StanzaParsing.parse(CORPUS.get(0));
        for (Stanza made : List.of(StanzaErrors.error(message, StanzaErrorCondition.SERVICE_UNAVAILABLE, "gone <for> good & all"),
                StanzaBuilder.createPresenceStanza(EntityImpl.parseUnchecked("a@b/c"), EntityImpl.parseUnchecked("d@e"),
                        "en", null, "out", "not & here").build())) {
            assertEquals(new Renderer(made).getComplete(), StanzaSerializer.toXml(made));
        }
    }

    /** XML 1.0 §3.3.3: a literal TAB, LF or CR in an attribute would be read back as a space. */
    @Test
    void attributeWhitespaceIsKeptAsCharacterReferences() {
        Stanza stanza = new StanzaBuilder("message", "jabber:client").addAttribute("id", "a\tb\nc\rd")
                .addAttribute("to", "x&y<z>\"'").build();
        String xml = StanzaSerializer.toXml(stanza);
        assertEquals("<message xmlns=\"jabber:client\" id=\"a&#9;b&#10;c&#13;d\" to=\"x&amp;y&lt;z&gt;&quot;'\"></message>", xml);
        Stanza back = StanzaParsing.parse(xml);
        assertEquals("a\tb\nc\rd", back.getAttributeValue("id"));
        assertEquals("x&y<z>\"'", back.getAttributeValue("to"));
    }

    /** XML 1.0 §2.11: a literal CR in text would be dropped or turned into LF by the reader. */
    @Test
    void textEscapesMarkupAndCarriageReturn() {
        Stanza stanza = new StanzaBuilder("message", "jabber:client").startInnerElement("body", "jabber:client")
                .addText("a & b < c > d ]]> \"e\" 'f'\r\n\tg").endInnerElement().build();
        String xml = StanzaSerializer.toXml(stanza);
        assertEquals("<message xmlns=\"jabber:client\"><body>a &amp; b &lt; c &gt; d ]]&gt; \"e\" 'f'&#13;\n\tg</body></message>", xml);
        assertEquals("a & b < c > d ]]> \"e\" 'f'\r\n\tg", StanzaParsing.child(StanzaParsing.parse(xml), "body", "jabber:client")
                .getInnerText().getText());
    }

    /** XML 1.0 §2.2: characters XML cannot carry never reach a client's stream; they become U+FFFD. */
    @Test
    void charactersOutsideXmlBecomeReplacementCharacters() {
        Stanza stanza = new StanzaBuilder("message", "jabber:client").addAttribute("id", "a\u0001b")
                .startInnerElement("body", "jabber:client").addText("x\u0000y\uD800z\uFFFE😀").endInnerElement().build();
        String xml = StanzaSerializer.toXml(stanza);
        assertEquals("<message xmlns=\"jabber:client\" id=\"a\uFFFDb\"><body>x\uFFFDy\uFFFDz\uFFFD😀</body></message>", xml);
        StanzaParsing.parse(xml); // well-formed
    }

    /** Namespaces as a namespace-aware parser reads them back: every element in the namespace the model says. */
    @Test
    void namespacesAreDeclaredWhereElementsEnterThem() throws Exception {
        Stanza stanza = new StanzaBuilder("iq", "jabber:client").addAttribute("type", "result")
                .startInnerElement("query", "http://jabber.org/protocol/disco#info")
                .startInnerElement("identity", "http://jabber.org/protocol/disco#info").addAttribute("category", "server")
                .endInnerElement()
                .startInnerElement("x", "jabber:x:data").addAttribute("type", "result")
                .startInnerElement("field", "jabber:x:data").addAttribute("var", "FORM_TYPE").endInnerElement()
                .endInnerElement()
                .startInnerElement("plain", "").endInnerElement()
                .endInnerElement()
                .startInnerElement("text", "urn:ietf:params:xml:ns:xmpp-stanzas")
                .addAttribute("http://www.w3.org/XML/1998/namespace", "lang", "en")
                .addAttribute("urn:example:attrs", "flag", "1").endInnerElement()
                .build();
        byte[] bytes = StanzaSerializer.toBytes(stanza);
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        Element root = factory.newDocumentBuilder().parse(new ByteArrayInputStream(bytes)).getDocumentElement();
        assertEquals("jabber:client", root.getNamespaceURI());
        Element query = (Element) root.getElementsByTagNameNS("*", "query").item(0);
        assertEquals("http://jabber.org/protocol/disco#info", query.getNamespaceURI());
        assertEquals("http://jabber.org/protocol/disco#info",
                root.getElementsByTagNameNS("*", "identity").item(0).getNamespaceURI());
        assertEquals("jabber:x:data", root.getElementsByTagNameNS("*", "field").item(0).getNamespaceURI());
        assertEquals(null, root.getElementsByTagNameNS("*", "plain").item(0).getNamespaceURI(), "xmlns='' undeclares");
        Element text = (Element) root.getElementsByTagNameNS("*", "text").item(0);
        assertEquals("en", text.getAttributeNS("http://www.w3.org/XML/1998/namespace", "lang"));
        assertEquals("1", text.getAttributeNS("urn:example:attrs", "flag"));
        // Declared once where entered, not repeated on children of the same namespace.
        String xml = utf8(bytes);
        assertEquals(1, xml.split("jabber:x:data", -1).length - 1, xml);
    }

    /**
     * Vysper's ad-hoc command element is in no namespace but declares xmlns='…commands': one declaration per prefix,
     * or the stanza is ill-formed (SINT's admin connection failed on exactly this, XML 1.0 §3.1 "Unique Att Spec").
     */
    @Test
    void aPrefixIsDeclaredOnceEvenWhenTheModelDeclaresItToo() throws Exception {
        var command = new org.apache.vysper.xml.fragment.XMLElement("", "command", null,
                List.of(new org.apache.vysper.xml.fragment.Attribute("node", "n")), List.of(),
                java.util.Map.of("", "http://jabber.org/protocol/commands"));
        Stanza stanza = new StanzaBuilder("iq", "jabber:client").addAttribute("type", "result")
                .addPreparedElement(command).build();
        String xml = StanzaSerializer.toXml(stanza);
        assertEquals(new Renderer(stanza).getComplete(), xml);
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        Element root = factory.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)))
                .getDocumentElement();
        assertEquals("http://jabber.org/protocol/commands", root.getElementsByTagNameNS("*", "command").item(0).getNamespaceURI());
    }

    /** Serialise → parse → serialise is the identity, for the corpus and for awkward content. */
    @Test
    void roundTripsThroughTheParser() {
        for (String xml : CORPUS) {
            Stanza once = StanzaParsing.parse(xml);
            byte[] first = StanzaSerializer.toBytes(once);
            Stanza twice = StanzaParsing.parse(utf8(first));
            assertArrayEquals(first, StanzaSerializer.toBytes(twice), xml);
            assertEquals(once, twice, xml);
        }
    }

    /** A room renders a message once; each occupant's copy differs only in its spliced 'to'. */
    @Test
    void addressedRenderingEqualsRenderingEachCopy() {
        Stanza shared = StanzaParsing.parse(CORPUS.get(3));
        AddressedRendering rendering = StanzaSerializer.addressable(shared);
        for (String to : List.of("crone1@shakespeare.lit/desktop", "wiccarocks@shakespeare.lit/laptop", "oneil@x.y/'z' & \"w\" <v>")) {
            PrerenderedStanza copy = new PrerenderedStanza(shared, rendering, EntityImpl.parseUnchecked(to));
            assertEquals(to, copy.getAttributeValue("to"));
            assertArrayEquals(StanzaSerializer.toBytes(copy), copy.bytes(), to);
            assertTrue(utf8(copy.bytes()).contains("<body>Harpier cries: 'tis time, 'tis time.</body>"));
        }
        Stanza unaddressed = new StanzaBuilder("message", "jabber:client").addAttribute("type", "groupchat").build();
        PrerenderedStanza copy = new PrerenderedStanza(unaddressed, StanzaSerializer.addressable(unaddressed),
                EntityImpl.parseUnchecked("a@b/c"));
        assertEquals("<message xmlns=\"jabber:client\" type=\"groupchat\" to=\"a@b/c\"></message>", utf8(copy.bytes()));
    }

    private static String utf8(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

}
