package org.parley.gateway.bosh;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

import org.apache.vysper.xmpp.stanza.Stanza;
import org.parley.server.parser.StreamErrorCondition;
import org.parley.server.parser.StreamErrorException;
import org.parley.server.parser.XmlStreamListener;
import org.parley.server.parser.XmlStreamParser;

/**
 * One parsed BOSH request: the {@code <body/>} wrapper's attributes (by local name: {@code xmpp:restart} is
 * {@code restart}, {@code xmpp:version} is {@code version}, {@code xml:lang} is {@code lang}) and its payloads.
 * Parsed with the XMPP stream parser, so the payloads obey the same rules as on TCP (restricted XML, the
 * session's stanza size limit). A problem in the payloads, found once the wrapper's attributes are known, is
 * kept as {@link #payloadError()} and becomes a stream error when the request's turn comes; a problem before
 * that (not XML, not a body) makes the whole request {@link Malformed}.
 */
record BoshBody(Map<String, String> attributes, List<Stanza> payloads, StreamErrorException payloadError) {

    static final String NS_HTTPBIND = "http://jabber.org/protocol/httpbind";
    /** Request IDs stay below 2^53 (XEP-0124 §14.1). */
    private static final long MAX_RID = (1L << 53) - 1;

    /** The request is not a BOSH body at all (XEP-0124 'bad-request'). */
    static final class Malformed extends Exception {
        private static final long serialVersionUID = 1L;

        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * @param data           the HTTP request body
     * @param headerLimit    the most bytes the wrapper's start tag may take
     * @param limitForSid    the stanza size limit of the session a sid names (the pre-authentication one for a
     *                       new or unknown session)
     */
    static BoshBody parse(byte[] data, int headerLimit, ToIntFunction<String> limitForSid) throws Malformed {
        Collector collector = new Collector();
        XmlStreamParser parser = XmlStreamParser.forWrapper(collector, headerLimit, NS_HTTPBIND, "body");
        collector.parser = parser;
        collector.limitForSid = limitForSid;
        StreamErrorException error = null;
        try {
            parser.feed(data, 0, data.length);
            parser.endOfInput();
            if (collector.attributes != null && !collector.closed) {
                error = new StreamErrorException(StreamErrorCondition.NOT_WELL_FORMED, "the body element is not closed");
            }
        } catch (StreamErrorException e) {
            error = e;
        }
        if (collector.attributes == null) {
            throw new Malformed(error == null ? "empty request" : error.getMessage());
        }
        return new BoshBody(Map.copyOf(collector.attributes), List.copyOf(collector.payloads), error);
    }

    String attribute(String name) {
        return attributes.get(name);
    }

    String sid() {
        return attributes.get("sid");
    }

    /** The request ID, or null when missing or not a number in range. */
    Long rid() {
        return unsignedLong(attributes.get("rid"));
    }

    /** The client's response acknowledgement (XEP-0124 §9.2), or null. */
    Long ack() {
        return unsignedLong(attributes.get("ack"));
    }

    /** Seconds of a requested pause (XEP-0124 §10), -1 when malformed, null when none was asked for. */
    Integer pause() {
        String pause = attributes.get("pause");
        if (pause == null) {
            return null;
        }
        Long seconds = unsignedLong(pause);
        return seconds == null || seconds > Integer.MAX_VALUE ? -1 : seconds.intValue();
    }

    boolean isTerminate() {
        return "terminate".equals(attributes.get("type"));
    }

    /** XEP-0206 §5: {@code xmpp:restart='true'} asks for a new stream after SASL. */
    boolean isRestart() {
        String restart = attributes.get("restart");
        return "true".equals(restart) || "1".equals(restart);
    }

    /** No payloads and no restart: a request only offering the server a response slot. */
    boolean isEmpty() {
        return payloads.isEmpty() && payloadError == null && !isRestart();
    }

    static Long unsignedLong(String text) {
        if (text == null || text.isEmpty() || text.length() > 16 || !text.chars().allMatch(Character::isDigit)) {
            return null;
        }
        long value = Long.parseLong(text);
        return value > MAX_RID ? null : value;
    }

    private static final class Collector implements XmlStreamListener {
        XmlStreamParser parser;
        ToIntFunction<String> limitForSid;
        Map<String, String> attributes;
        final List<Stanza> payloads = new ArrayList<>();
        boolean closed;

        @Override
        public void streamOpened(Map<String, String> wrapper) {
            attributes = wrapper;
            parser.setMaxElementBytes(limitForSid.applyAsInt(wrapper.get("sid")));
        }

        @Override
        public void element(Stanza element) throws StreamErrorException {
            String ns = element.getNamespaceURI();
            if (ns == null || ns.isEmpty() || NS_HTTPBIND.equals(ns)) {
                throw new StreamErrorException(StreamErrorCondition.INVALID_NAMESPACE, "<" + element.getName()
                        + "/> must be qualified by its own namespace, e.g. xmlns='jabber:client' (XEP-0206)");
            }
            payloads.add(element);
        }

        @Override
        public void streamClosed() {
            closed = true;
        }
    }
}
