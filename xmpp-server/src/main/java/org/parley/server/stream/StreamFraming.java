package org.parley.server.stream;

/**
 * How the stream-level elements an {@link XmppStream} writes look on its transport. The negotiation (TLS,
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
 * transports get exactly one element per call.
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

    /** The {@code <stream:features/>} element around {@code features} (RFC 6120 §4.3.2). */
    String features(String features);

    /** The {@code <stream:error/>} element around {@code content} (RFC 6120 §4.9); {@link #close} follows it. */
    String error(String content);

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
        public String features(String features) {
            return "<stream:features>" + features + "</stream:features>";
        }

        @Override
        public String error(String content) {
            return "<stream:error>" + content + "</stream:error>";
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
        public String features(String features) {
            return "<stream:features xmlns:stream='" + XmlStreamParser.STREAM_NS + "'>" + features + "</stream:features>";
        }

        @Override
        public String error(String content) {
            return "<stream:error xmlns:stream='" + XmlStreamParser.STREAM_NS + "'>" + content + "</stream:error>";
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
