package org.parley.server.stream;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xml.fragment.XMLText;

/** Reading parsed XML: the first child with a name and namespace, and an element's text. */
public final class XmlElements {

    private XmlElements() {
    }

    /** The first child element with this name and namespace, or null. */
    public static XMLElement child(XMLElement parent, String name, String namespace) {
        for (XMLElement e : parent.getInnerElements()) {
            if (e.getName().equals(name) && namespace.equals(e.getNamespaceURI())) {
                return e;
            }
        }
        return null;
    }

    /** The first child in {@code namespace} whatever its name, or null. */
    public static XMLElement childIn(XMLElement parent, String namespace) {
        for (XMLElement e : parent.getInnerElements()) {
            if (namespace.equals(e.getNamespaceURI())) {
                return e;
            }
        }
        return null;
    }

    /** Text of a child element, or null when the child is missing; "" when it is empty. */
    public static String childText(XMLElement parent, String name, String namespace) {
        return text(child(parent, name, namespace));
    }

    /** The element's text (its text nodes joined), or null for a null element. */
    public static String text(XMLElement element) {
        if (element == null) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        for (XMLText t : element.getInnerTexts()) {
            sb.append(t.getText());
        }
        return sb.toString();
    }
}
