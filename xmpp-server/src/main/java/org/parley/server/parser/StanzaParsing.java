package org.parley.server.parser;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xml.fragment.XMLFragment;
import org.apache.vysper.xml.fragment.XMLText;
import org.apache.vysper.xmpp.stanza.Stanza;

/** Parses stored or embedded XML text back into a Vysper stanza, with the same rules as the wire parser. */
public final class StanzaParsing {

    private StanzaParsing() {
    }

    /** Parses exactly one element; throws IllegalArgumentException naming the problem otherwise. */
    public static Stanza parse(String xml) {
        byte[] bytes = xml.getBytes(StandardCharsets.UTF_8);
        return parse(bytes, 0, bytes.length);
    }

    /** The same, from UTF-8 bytes (e.g. a stanza forwarded by another cluster node). */
    public static Stanza parse(byte[] bytes, int offset, int length) {
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
        try {
            parser.feed(bytes, offset, length);
            parser.endOfInput();
        } catch (StreamErrorException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        if (found.size() != 1) {
            throw new IllegalArgumentException("expected one element, found " + found.size());
        }
        return found.get(0);
    }

    /** The first child element with this name and namespace, or null. */
    public static XMLElement child(XMLElement parent, String name, String ns) {
        for (XMLElement e : parent.getInnerElements()) {
            if (name.equals(e.getName()) && ns.equals(e.getNamespaceURI())) {
                return e;
            }
        }
        return null;
    }

    /** The element's own text (its text children joined), "" when it has none. */
    public static String text(XMLElement e) {
        StringBuilder sb = new StringBuilder();
        for (XMLFragment f : e.getInnerFragments()) {
            if (f instanceof XMLText t) {
                sb.append(t.getText());
            }
        }
        return sb.toString();
    }
}
