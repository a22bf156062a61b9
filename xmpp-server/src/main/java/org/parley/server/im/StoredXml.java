package org.parley.server.im;

import java.io.StringReader;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

import org.apache.vysper.xml.fragment.Attribute;
import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xml.fragment.XMLFragment;
import org.apache.vysper.xml.fragment.XMLText;

/**
 * Reads XML text this server stored (a rendered vCard or private XML fragment) back into a Vysper element
 * tree with its namespaces, prefixes, attributes and text. DTDs and external entities are refused.
 */
final class StoredXml {

    private static final XMLInputFactory FACTORY = XMLInputFactory.newFactory();
    private static final int MAX_DEPTH = 64;

    static {
        FACTORY.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, true);
        FACTORY.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        FACTORY.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        FACTORY.setProperty(XMLInputFactory.IS_COALESCING, true);
    }

    private StoredXml() {
    }

    /** Parses exactly one element; throws IllegalArgumentException naming the problem otherwise. */
    static XMLElement parse(String xml) {
        XMLStreamReader reader = null;
        try {
            synchronized (FACTORY) {
                // StAX does not promise thread-safe factories
                reader = FACTORY.createXMLStreamReader(new StringReader(xml));
            }
            Deque<Building> open = new ArrayDeque<>();
            XMLElement root = null;
            while (reader.hasNext()) {
                int event = reader.next();
                switch (event) {
                    case XMLStreamConstants.START_ELEMENT -> {
                        if (root != null) {
                            throw new IllegalArgumentException("more than one element");
                        }
                        if (open.size() >= MAX_DEPTH) {
                            throw new IllegalArgumentException("elements nested too deeply");
                        }
                        open.push(start(reader));
                    }
                    case XMLStreamConstants.END_ELEMENT -> {
                        XMLElement done = open.pop().build();
                        if (open.isEmpty()) {
                            root = done;
                        } else {
                            open.peek().children.add(done);
                        }
                    }
                    case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA, XMLStreamConstants.SPACE -> {
                        if (!open.isEmpty()) {
                            open.peek().text(reader.getText());
                        }
                    }
                    case XMLStreamConstants.DTD, XMLStreamConstants.ENTITY_REFERENCE ->
                            throw new IllegalArgumentException("DTDs and entity references are not allowed");
                    default -> { } // comments, processing instructions, document start and end
                }
            }
            if (root == null) {
                throw new IllegalArgumentException("no element");
            }
            return root;
        } catch (XMLStreamException | RuntimeException e) {
            if (e instanceof IllegalArgumentException iae) {
                throw iae;
            }
            throw new IllegalArgumentException("not well-formed: " + firstLine(e.getMessage()), e);
        } finally {
            if (reader != null) {
                try {
                    reader.close();
                } catch (XMLStreamException ignored) {
                    // nothing held open for a string
                }
            }
        }
    }

    private static Building start(XMLStreamReader reader) {
        Map<String, String> declared = new LinkedHashMap<>();
        for (int i = 0; i < reader.getNamespaceCount(); i++) {
            String prefix = reader.getNamespacePrefix(i);
            String uri = reader.getNamespaceURI(i);
            declared.put(prefix == null ? "" : prefix, uri == null ? "" : uri);
        }
        List<Attribute> attributes = new ArrayList<>(reader.getAttributeCount());
        for (int i = 0; i < reader.getAttributeCount(); i++) {
            String ns = reader.getAttributeNamespace(i);
            String name = reader.getAttributeLocalName(i);
            String value = reader.getAttributeValue(i);
            attributes.add(ns == null || ns.isEmpty() ? new Attribute(name, value) : new Attribute(ns, name, value));
        }
        return new Building(nullToEmpty(reader.getNamespaceURI()), reader.getLocalName(),
                nullToEmpty(reader.getPrefix()), attributes, declared);
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "malformed XML";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    private static final class Building {
        final String ns;
        final String name;
        final String prefix;
        final List<Attribute> attributes;
        final Map<String, String> declared;
        final List<XMLFragment> children = new ArrayList<>();

        Building(String ns, String name, String prefix, List<Attribute> attributes, Map<String, String> declared) {
            this.ns = ns;
            this.name = name;
            this.prefix = prefix;
            this.attributes = attributes;
            this.declared = declared;
        }

        void text(String text) {
            if (!children.isEmpty() && children.get(children.size() - 1) instanceof XMLText previous) {
                children.set(children.size() - 1, new XMLText(previous.getText() + text));
            } else {
                children.add(new XMLText(text));
            }
        }

        XMLElement build() {
            return new XMLElement(ns, name, prefix, attributes, children, declared.isEmpty() ? null : declared);
        }
    }
}
