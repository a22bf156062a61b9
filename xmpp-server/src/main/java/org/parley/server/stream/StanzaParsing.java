package org.parley.server.stream;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.vysper.xmpp.stanza.Stanza;

/** Parses stored or embedded XML text back into a Vysper stanza, with the same rules as the wire parser. */
public final class StanzaParsing {

    private StanzaParsing() {
    }

    /** Parses exactly one element; throws IllegalArgumentException naming the problem otherwise. */
    public static Stanza parse(String xml) {
        List<Stanza> found = new ArrayList<>(1);
        XmlStreamParser parser = XmlStreamParser.forFrames(new XmlStreamListener() {
            @Override
            public void streamOpened(Map<String, String> attributes) {
            }

            @Override
            public void element(Stanza element) {
                found.add(element);
            }

            @Override
            public void streamClosed() {
            }
        }, Integer.MAX_VALUE);
        byte[] bytes = xml.getBytes(StandardCharsets.UTF_8);
        try {
            parser.feed(bytes, 0, bytes.length);
            parser.endOfInput();
        } catch (StreamErrorException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        if (found.size() != 1) {
            throw new IllegalArgumentException("expected one element, found " + found.size());
        }
        return found.get(0);
    }
}
