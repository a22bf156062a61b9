package org.parley.server.parser;

import java.util.Map;

import org.apache.vysper.xmpp.stanza.Stanza;

/** Receives what {@link XmlStreamParser} reads from one XML stream. */
public interface XmlStreamListener {

    /**
     * The stream header arrived (RFC 6120 §4.7).
     *
     * @param attributes the header's attributes, keyed by local name ({@code lang} for {@code xml:lang})
     */
    void streamOpened(Map<String, String> attributes) throws StreamErrorException;

    /** A complete first-level element (a stanza or a negotiation element) arrived. */
    void element(Stanza element) throws StreamErrorException;

    /** The peer closed its stream with {@code </stream:stream>} (RFC 6120 §4.4). */
    void streamClosed();
}
