package org.parley.gateway.websocket;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.vysper.xml.fragment.Attribute;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.parley.server.parser.StreamErrorCondition;
import org.parley.server.parser.StreamErrorException;
import org.parley.server.parser.XmlStreamListener;
import org.parley.server.parser.XmlStreamParser;
import org.parley.server.session.StreamFraming;

/**
 * Reads one WebSocket message of the XMPP subprotocol (RFC 7395 §3.3): exactly one complete element.
 * {@code <open/>} and {@code <close/>} in {@code urn:ietf:params:xml:ns:xmpp-framing} become the stream's open
 * and close; anything else is a first-level element, which must carry its namespace (there is no stream
 * element to inherit {@code jabber:client} from). The parser is the TCP one, so restricted XML and the size
 * limit are enforced the same way.
 */
final class Rfc7395Frames {

    private Rfc7395Frames() {
    }

    /** Parses {@code message} and hands what it holds to {@code stream}. */
    static void deliver(byte[] message, int maxElementBytes, XmlStreamListener stream) throws StreamErrorException {
        List<Stanza> elements = new ArrayList<>(1);
        XmlStreamParser parser = XmlStreamParser.forFrames(new XmlStreamListener() {
            @Override
            public void streamOpened(Map<String, String> attributes) {
                // forFrames has no header
            }

            @Override
            public void element(Stanza element) {
                elements.add(element);
            }

            @Override
            public void streamClosed() {
                // forFrames has no stream element
            }
        }, maxElementBytes);
        parser.feed(message, 0, message.length);
        parser.endOfInput();
        if (elements.size() != 1) {
            throw new StreamErrorException(StreamErrorCondition.BAD_FORMAT,
                    "a WebSocket message must hold exactly one element (RFC 7395 §3.3.3)");
        }
        Stanza element = elements.get(0);
        String ns = element.getNamespaceURI();
        if (StreamFraming.NS_FRAMING.equals(ns)) {
            switch (element.getName()) {
                case "open" -> stream.streamOpened(attributes(element));
                case "close" -> stream.streamClosed();
                default -> throw new StreamErrorException(StreamErrorCondition.UNSUPPORTED_STANZA_TYPE,
                        "unknown framing element <" + element.getName() + "/>");
            }
        } else if (ns == null || ns.isEmpty()) {
            throw new StreamErrorException(StreamErrorCondition.INVALID_NAMESPACE,
                    "<" + element.getName() + "/> has no namespace; over WebSocket every element declares its own,"
                            + " e.g. xmlns='jabber:client' (RFC 7395 §3.3.3)");
        } else {
            stream.element(element);
        }
    }

    /** Attributes by local name, as the TCP parser reports a stream header's ({@code lang} for xml:lang). */
    private static Map<String, String> attributes(Stanza open) {
        Map<String, String> attributes = new HashMap<>();
        for (Attribute attribute : open.getAttributes()) {
            attributes.put(attribute.getName(), attribute.getValue());
        }
        return attributes;
    }
}
