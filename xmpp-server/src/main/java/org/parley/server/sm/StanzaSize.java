package org.parley.server.sm;

import org.apache.vysper.xml.fragment.Attribute;
import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xml.fragment.XMLFragment;
import org.apache.vysper.xml.fragment.XMLText;

/**
 * A cheap estimate of an element's serialised size in bytes (names, attribute values and text, plus the markup
 * around them; characters counted once, escaping ignored): what byte bounds on queues of stanzas count,
 * without rendering each stanza a second time.
 */
public final class StanzaSize {

    private StanzaSize() {
    }

    public static int estimate(XMLElement element) {
        long size = 0;
        java.util.ArrayDeque<XMLElement> todo = new java.util.ArrayDeque<>();
        todo.push(element);
        while (!todo.isEmpty()) {
            XMLElement e = todo.pop();
            size += 2L * e.getName().length() + 5;
            for (Attribute a : e.getAttributes()) {
                size += a.getName().length() + a.getValue().length() + 4;
            }
            for (XMLFragment child : e.getInnerFragments()) {
                if (child instanceof XMLText text) {
                    size += text.getText().length();
                } else if (child instanceof XMLElement inner) {
                    todo.push(inner);
                }
            }
        }
        return (int) Math.min(Integer.MAX_VALUE, size);
    }
}
