package org.parley.server.session;

import java.util.List;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xml.fragment.XMLElementBuilder;
import org.apache.vysper.xmpp.protocol.NamespaceURIs;
import org.parley.server.parser.StreamErrorCondition;
import org.parley.server.parser.XmlStreamParser;
import org.parley.server.render.StanzaSerializer;

/**
 * How the stream-level elements an {@code XmppStream} writes look on its transport. The negotiation (TLS,
 * SASL, binding, errors) is the same everywhere; only the wrapping differs:
 *
 * <ul>
 *   <li>{@link #TCP}: one XML document for the whole connection, {@code <stream:stream>} ... {@code
 *       </stream:stream>} (RFC 6120 §4);</li>
 *   <li>{@link #WEBSOCKET}: one complete element per WebSocket message, {@code <open/>} and {@code <close/>}
 *       in {@code urn:ietf:params:xml:ns:xmpp-framing} instead of the stream tags, every prefix declared on
 *       the element that uses it (RFC 7395 §3.3);</li>
 *   <li>BOSH: the web gateway's session implements this itself, because there the stream header and
 *       close become attributes of the {@code <body/>} wrapper (XEP-0206).</li>
 * </ul>
 *
 * <p>A method may return null when its element has no form of its own on the transport; nothing is sent then.
 * Each non-null result is handed to {@link StreamTransport#send} on its own, so that message-framed
 * transports get exactly one element per call. The features and the stream error are built as elements and
 * rendered by {@link StanzaSerializer}, so whatever text they carry is escaped as XML requires (RFC 6120
 * §4.9.2); each declares the {@code stream} prefix itself, which on TCP repeats the header's binding (allowed)
 * and on WebSocket and BOSH is required (RFC 7395 §3.3).
 */
public interface StreamFraming {

    /** RFC 7395's namespace of {@code <open/>} and {@code <close/>}. */
    String NS_FRAMING = "urn:ietf:params:xml:ns:xmpp-framing";

    /**
     * The server's stream header, answering the client's (RFC 6120 §4.7).
     *
     * @param from the server's domain
     * @param id   a fresh stream id (RFC 6120 §4.7.3)
     */
    String header(String from, String id);

    /** RFC 6120 §4.9.3's namespace of the stream error conditions and of the error's {@code <text/>}. */
    String NS_STREAMS = "urn:ietf:params:xml:ns:xmpp-streams";

    /** The {@code <stream:features/>} element holding {@code features} (RFC 6120 §4.3.2), as UTF-8. */
    default byte[] features(List<XMLElement> features) {
        XMLElementBuilder b = new XMLElementBuilder("features", XmlStreamParser.STREAM_NS, "stream");
        features.forEach(b::addPreparedElement);
        return StanzaSerializer.toBytes(b.build());
    }

    /**
     * The {@code <stream:error/>} element (RFC 6120 §4.9.2) with its condition and, when {@code text} is not
     * null, a {@code <text xml:lang='en'/>}, as UTF-8; {@link #close} follows it.
     */
    default byte[] error(StreamErrorCondition condition, String text) {
        return StanzaSerializer.toBytes(errorElement(condition, text, false));
    }

    /**
     * The stream error as an element. {@code declareDefault} also makes the conditions' namespace the default
     * on {@code <stream:error/>} itself: that changes nothing for the children (each is in it anyway) but is
     * what some clients check (Smack's BOSH client, see the web gateway).
     */
    static XMLElement errorElement(StreamErrorCondition condition, String text, boolean declareDefault) {
        XMLElementBuilder b = new XMLElementBuilder("error", XmlStreamParser.STREAM_NS, "stream");
        if (declareDefault) {
            b.declareNamespace("", NS_STREAMS);
        }
        b.startInnerElement(condition.elementName(), NS_STREAMS).endInnerElement();
        if (text != null) {
            b.startInnerElement("text", NS_STREAMS)
                    .addAttribute(NamespaceURIs.XML, "lang", "en")
                    .addText(text).endInnerElement();
        }
        return b.build();
    }

    /** The server's end of its stream (RFC 6120 §4.4); also sent after an error. */
    String close();

    /** RFC 6120 over TCP. */
    StreamFraming TCP = new StreamFraming() {
        @Override
        public String header(String from, String id) {
            return "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                    + "xmlns:stream='http://etherx.jabber.org/streams' id='" + id + "' from='" + from
                    + "' version='1.0' xml:lang='en'>";
        }

        @Override
        public String close() {
            return "</stream:stream>";
        }

        @Override
        public String toString() {
            return "TCP";
        }
    };

    /** RFC 7395: XMPP over WebSocket, one element per message. */
    StreamFraming WEBSOCKET = new StreamFraming() {
        @Override
        public String header(String from, String id) {
            return "<open xmlns='" + NS_FRAMING + "' id='" + id + "' from='" + from + "' version='1.0' xml:lang='en'/>";
        }

        @Override
        public String close() {
            return "<close xmlns='" + NS_FRAMING + "'/>";
        }

        @Override
        public String toString() {
            return "WebSocket";
        }
    };
}
