package org.parley.server.parser;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;

import com.fasterxml.aalto.AsyncByteArrayFeeder;
import com.fasterxml.aalto.AsyncXMLInputFactory;
import com.fasterxml.aalto.AsyncXMLStreamReader;
import com.fasterxml.aalto.UncheckedStreamException;
import com.fasterxml.aalto.stax.InputFactoryImpl;
import org.apache.vysper.xml.fragment.Attribute;
import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xml.fragment.XMLFragment;
import org.apache.vysper.xml.fragment.XMLText;
import org.apache.vysper.xmpp.stanza.Stanza;

/**
 * Non-blocking parser for one XMPP stream: bytes in, stream header and first-level elements out.
 *
 * <p>It enforces RFC 6120 §11: comments, processing instructions, DTDs and entity declarations end the
 * stream with {@code <restricted-xml/>}; a first-level element larger than the current limit ends it with
 * {@code <policy-violation/>} (RFC 6120 §13.12 asks servers to bound stanza size). The limit is checked on
 * every fed chunk, so at most one limit plus one chunk of input is ever buffered. Built on Aalto's
 * asynchronous StAX reader; the element tree is Vysper's, so its handlers can use it directly.
 *
 * <p>Three modes: {@link #forStream} expects a {@code <stream:stream>} header (TCP); {@link #forWrapper} reads
 * one document whose root element wraps the first-level elements (a BOSH {@code <body/>}); {@link #forFrames}
 * reads standalone elements with nothing around them (an RFC 7395 WebSocket message, stored stanzas).
 *
 * <p>A stream parser does not keep Aalto's reader (its scanner, symbol table and text buffers, about 4 KB) while
 * the stream is idle: when a fed chunk ends exactly after a first-level element (or with whitespace after one),
 * the reader is dropped, and the next chunk goes to a fresh reader that is first fed a copy of the stream
 * header's start tag (its qualified name and namespace declarations, nothing else), so the stream's namespace
 * context and closing tag work as before. Byte offsets stay those of the real input.
 *
 * <p>Memory (issue 17): the element being built is accounted in estimated heap bytes as it grows, and may
 * cost at most {@value #MEMORY_PER_BYTE} times the size limit (at least {@value #MIN_MEMORY_BUDGET} bytes);
 * input that would build a larger tree (thousands of tiny elements, say) ends the stream with
 * {@code <policy-violation/>} long before the byte limit, so an unfinished stanza costs memory in proportion to
 * its bytes. Text split into many pieces is collected in one builder per element, so accumulating it is
 * linear, not quadratic.
 *
 * <p>Not thread-safe: one parser per connection, fed from one thread at a time.
 */
public final class XmlStreamParser {

    public static final String STREAM_NS = "http://etherx.jabber.org/streams";

    private static final AsyncXMLInputFactory FACTORY = new InputFactoryImpl();
    private static final int MAX_DEPTH = 64;
    /** The heap an element being built may cost, per byte of the size limit (see the class comment). */
    static final int MEMORY_PER_BYTE = 12;
    static final int MIN_MEMORY_BUDGET = 64 * 1024;
    /** Estimated heap of one element in the tree (objects, lists), of an attribute, and of text per character. */
    private static final int ELEMENT_COST = 160;
    private static final int ATTRIBUTE_COST = 56;
    private static final int TEXT_COST = 56;
    /** The replayed headers of nearly every client, shared instead of one copy per stream. */
    private static final List<byte[]> COMMON_HEADERS = List.of(
            "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8),
            "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:client'>"
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));

    private final XmlStreamListener listener;
    private final String rootNamespace;
    private final String rootName;
    private final String contentNamespace;
    private AsyncXMLStreamReader<AsyncByteArrayFeeder> reader;
    private final Deque<Building> open = new ArrayDeque<>(4);
    /** The stream header's start tag as replayed to a fresh reader; null until the header is seen (or if not a stream). */
    private byte[] replayHeader;
    /** The real input offset at which the current reader's real input starts, minus the replayed bytes before it. */
    private long readerBase;
    /** True until the current reader has reported the replayed header's start tag, which is not reported on. */
    private boolean skipReplayedHeader;
    /** The real input offset just after the last complete first-level element. */
    private long boundary = -1;
    private int maxElementBytes;
    private long fed;
    private long elementStart = -1;
    /** Estimated heap bytes of the first-level element being built. */
    private long accounted;
    private boolean headerSeen;
    private boolean closed;

    private XmlStreamParser(XmlStreamListener listener, int maxElementBytes, String rootNamespace, String rootName,
                            String contentNamespace) {
        this.listener = listener;
        this.maxElementBytes = maxElementBytes;
        this.rootNamespace = rootNamespace;
        this.rootName = rootName;
        this.contentNamespace = contentNamespace;
        this.reader = FACTORY.createAsyncForByteArray();
    }

    /** A parser for a stream that starts with {@code <stream:stream xmlns='jabber:client'>}. */
    public static XmlStreamParser forStream(XmlStreamListener listener, int maxElementBytes) {
        return new XmlStreamParser(listener, maxElementBytes, STREAM_NS, "stream", "jabber:client");
    }

    /**
     * A parser for a stream whose content namespace is another one, e.g. {@code jabber:component:accept}
     * (XEP-0114); first-level elements keep that namespace.
     */
    public static XmlStreamParser forStream(XmlStreamListener listener, int maxElementBytes, String contentNamespace) {
        return new XmlStreamParser(listener, maxElementBytes, STREAM_NS, "stream", contentNamespace);
    }

    /**
     * A parser for one document whose root element {@code rootName} in {@code rootNamespace} wraps the
     * elements: its attributes are reported through {@link XmlStreamListener#streamOpened}, its children through
     * {@link XmlStreamListener#element} and its end through {@link XmlStreamListener#streamClosed}. The children
     * carry their own namespaces (no default content namespace is required).
     */
    public static XmlStreamParser forWrapper(XmlStreamListener listener, int maxElementBytes, String rootNamespace,
                                             String rootName) {
        return new XmlStreamParser(listener, maxElementBytes, rootNamespace, rootName, null);
    }

    /**
     * A parser for standalone elements with no stream header around them; each top-level element is
     * reported through {@link XmlStreamListener#element}.
     */
    public static XmlStreamParser forFrames(XmlStreamListener listener, int maxElementBytes) {
        XmlStreamParser parser = new XmlStreamParser(listener, maxElementBytes, null, null, null);
        parser.headerSeen = true;
        return parser;
    }

    /** Whether an Aalto reader is held right now (false while a stream is idle between elements). */
    boolean holdsReader() {
        return reader != null;
    }

    /** Changes the size limit, e.g. from the pre-authentication limit to the full one. */
    public void setMaxElementBytes(int maxElementBytes) {
        this.maxElementBytes = maxElementBytes;
    }

    /** Feeds a chunk and reports every event it completes. */
    public void feed(byte[] data, int offset, int length) throws StreamErrorException {
        if (closed) {
            return;
        }
        long chunkStart = fed;
        try {
            ensureReader();
            reader.getInputFeeder().feedInput(data, offset, length);
            fed += length;
            drain();
        } catch (XMLStreamException e) {
            throw new StreamErrorException(StreamErrorCondition.NOT_WELL_FORMED, oneLine(e));
        } catch (UncheckedStreamException e) {
            // Aalto decodes text lazily: invalid UTF-8 inside character data surfaces from getText() unchecked
            // (found by the RFC 7395 frames fuzzer); the same not-well-formed error as any other bad byte.
            throw notWellFormed(e);
        }
        checkSize();
        if (replayHeader != null && !closed && open.isEmpty() && boundary >= chunkStart
                && onlyWhitespace(data, offset + (int) (boundary - chunkStart), offset + length)) {
            reader = null; // nothing pending in it: idle streams do not keep a reader (see the class comment)
        }
    }

    /** A fresh reader, in the stream header's namespace context, after one was dropped between elements. */
    private void ensureReader() throws XMLStreamException, StreamErrorException {
        if (reader != null) {
            return;
        }
        reader = FACTORY.createAsyncForByteArray();
        readerBase = fed - replayHeader.length;
        skipReplayedHeader = true;
        reader.getInputFeeder().feedInput(replayHeader, 0, replayHeader.length);
        drain();
    }

    private static boolean onlyWhitespace(byte[] data, int from, int to) {
        for (int i = from; i < to; i++) {
            byte b = data[i];
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                return false;
            }
        }
        return true;
    }

    /** Ends the input (a framed document is complete); reports anything still pending. */
    public void endOfInput() throws StreamErrorException {
        try {
            ensureReader();
            reader.getInputFeeder().endOfInput();
            drain();
        } catch (XMLStreamException e) {
            throw new StreamErrorException(StreamErrorCondition.NOT_WELL_FORMED, oneLine(e));
        } catch (UncheckedStreamException e) {
            throw notWellFormed(e);
        }
        if (!open.isEmpty()) {
            throw new StreamErrorException(StreamErrorCondition.NOT_WELL_FORMED,
                    "the input ends inside <" + open.peekLast().name + ">");
        }
    }

    private static StreamErrorException notWellFormed(UncheckedStreamException e) {
        return new StreamErrorException(StreamErrorCondition.NOT_WELL_FORMED,
                e.getCause() instanceof XMLStreamException cause ? oneLine(cause) : "not well-formed XML");
    }

    private void drain() throws XMLStreamException, StreamErrorException {
        int event;
        while (!closed && (event = reader.next()) != AsyncXMLStreamReader.EVENT_INCOMPLETE) {
            switch (event) {
                case XMLStreamConstants.START_DOCUMENT -> checkEncoding();
                case XMLStreamConstants.START_ELEMENT -> startElement();
                case XMLStreamConstants.END_ELEMENT -> endElement();
                case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA, XMLStreamConstants.SPACE -> text();
                case XMLStreamConstants.COMMENT -> throw restricted("comments are not allowed");
                case XMLStreamConstants.PROCESSING_INSTRUCTION ->
                        throw restricted("processing instructions are not allowed");
                case XMLStreamConstants.DTD -> throw restricted("DTDs are not allowed");
                case XMLStreamConstants.ENTITY_REFERENCE, XMLStreamConstants.ENTITY_DECLARATION ->
                        throw restricted("entity references are not allowed");
                case XMLStreamConstants.END_DOCUMENT -> closed = true;
                default -> { }
            }
        }
    }

    private static StreamErrorException restricted(String text) {
        return new StreamErrorException(StreamErrorCondition.RESTRICTED_XML, text);
    }

    private void checkEncoding() throws StreamErrorException {
        String declared = reader.getCharacterEncodingScheme();
        if (declared != null && !declared.equalsIgnoreCase("UTF-8")) {
            throw new StreamErrorException(StreamErrorCondition.UNSUPPORTED_ENCODING,
                    "only UTF-8 is supported (RFC 6120 §11.6)");
        }
    }

    private void startElement() throws StreamErrorException, XMLStreamException {
        if (!headerSeen) {
            streamHeader();
            return;
        }
        if (skipReplayedHeader) {
            skipReplayedHeader = false;
            return;
        }
        if (open.isEmpty()) {
            elementStart = readerBase + reader.getLocationInfo().getStartingByteOffset();
            accounted = 0;
        } else if (open.size() >= MAX_DEPTH) {
            throw new StreamErrorException(StreamErrorCondition.POLICY_VIOLATION, "elements nested too deeply");
        } else {
            open.peek().flushText();
        }
        Map<String, String> declared = null;
        int nsCount = reader.getNamespaceCount();
        for (int i = 0; i < nsCount; i++) {
            if (declared == null) {
                declared = new LinkedHashMap<>();
            }
            String prefix = reader.getNamespacePrefix(i);
            declared.put(prefix == null ? "" : prefix, nullToEmpty(reader.getNamespaceURI(i)));
        }
        int attrCount = reader.getAttributeCount();
        List<Attribute> attributes = new ArrayList<>(attrCount);
        for (int i = 0; i < attrCount; i++) {
            String ns = reader.getAttributeNamespace(i);
            String name = reader.getAttributeLocalName(i);
            String value = reader.getAttributeValue(i);
            attributes.add(ns == null || ns.isEmpty() ? new Attribute(name, value) : new Attribute(ns, name, value));
            charge(ATTRIBUTE_COST + 2L * value.length());
        }
        charge(ELEMENT_COST + 48L * nsCount);
        open.push(new Building(nullToEmpty(reader.getNamespaceURI()), reader.getLocalName(),
                nullToEmpty(reader.getPrefix()), attributes, declared));
    }

    private void streamHeader() throws StreamErrorException {
        if (!rootName.equals(reader.getLocalName()) || !rootNamespace.equals(reader.getNamespaceURI())) {
            throw new StreamErrorException(StreamErrorCondition.INVALID_NAMESPACE, STREAM_NS.equals(rootNamespace)
                    ? "expected <stream:stream xmlns:stream='" + STREAM_NS + "'>"
                    : "expected <" + rootName + " xmlns='" + rootNamespace + "'>");
        }
        String defaultNs = reader.getNamespaceContext().getNamespaceURI("");
        if (contentNamespace != null && !contentNamespace.equals(defaultNs)) {
            throw new StreamErrorException(StreamErrorCondition.INVALID_NAMESPACE,
                    "the stream's content namespace must be " + contentNamespace);
        }
        Map<String, String> attributes = new HashMap<>();
        for (int i = 0; i < reader.getAttributeCount(); i++) {
            attributes.put(reader.getAttributeLocalName(i), reader.getAttributeValue(i));
        }
        if (STREAM_NS.equals(rootNamespace)) {
            replayHeader = replayableHeader();
        }
        headerSeen = true;
        listener.streamOpened(attributes);
    }

    /** The header's start tag with its namespace declarations only: what a fresh reader needs to go on. */
    private byte[] replayableHeader() {
        String prefix = reader.getPrefix();
        StringBuilder tag = new StringBuilder("<");
        if (prefix != null && !prefix.isEmpty()) {
            tag.append(prefix).append(':');
        }
        tag.append(reader.getLocalName());
        for (int i = 0; i < reader.getNamespaceCount(); i++) {
            String p = reader.getNamespacePrefix(i);
            tag.append(p == null || p.isEmpty() ? " xmlns" : " xmlns:" + p).append("='")
                    .append(escapeAttribute(nullToEmpty(reader.getNamespaceURI(i)))).append('\'');
        }
        byte[] replay = tag.append('>').toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (byte[] common : COMMON_HEADERS) {
            if (java.util.Arrays.equals(common, replay)) {
                return common;
            }
        }
        return replay;
    }

    private static String escapeAttribute(String value) {
        return value.replace("&", "&amp;").replace("<", "&lt;").replace("'", "&apos;");
    }

    private void endElement() throws StreamErrorException, XMLStreamException {
        if (open.isEmpty()) {
            // the stream element itself ends: RFC 6120 §4.4
            closed = true;
            listener.streamClosed();
            return;
        }
        Building done = open.pop();
        done.flushText();
        if (open.isEmpty()) {
            long end = readerBase + reader.getLocationInfo().getEndingByteOffset();
            if (end - elementStart > maxElementBytes) {
                throw tooLarge();
            }
            elementStart = -1;
            boundary = end;
            listener.element(new Stanza(done.ns, done.name, done.prefix, done.attributes, done.children,
                    done.declared));
        } else {
            open.peek().children.add(new XMLElement(done.ns, done.name, done.prefix, done.attributes, done.children,
                    done.declared));
        }
    }

    private void text() throws StreamErrorException {
        if (open.isEmpty()) {
            return; // whitespace between stanzas: keepalives (RFC 6120 §4.6.1)
        }
        Building current = open.peek();
        String text = reader.getText();
        if (current.text == null) {
            current.text = new StringBuilder(text.length());
            charge(TEXT_COST);
        }
        current.text.append(text);
        charge(2L * text.length());
    }

    /** Adds to the estimated heap of the element being built; too much ends the stream. */
    private void charge(long bytes) throws StreamErrorException {
        accounted += bytes;
        long budget = Math.max(MIN_MEMORY_BUDGET, (long) MEMORY_PER_BYTE * maxElementBytes);
        if (accounted > budget) {
            throw new StreamErrorException(StreamErrorCondition.POLICY_VIOLATION,
                    "stanza too complex: its elements would take more than " + budget + " bytes of memory");
        }
    }

    private void checkSize() throws StreamErrorException {
        long pending = elementStart >= 0 ? fed - elementStart : headerSeen ? 0 : fed;
        if (pending > maxElementBytes) {
            throw tooLarge();
        }
    }

    private StreamErrorException tooLarge() {
        return new StreamErrorException(StreamErrorCondition.POLICY_VIOLATION,
                "stanza exceeds the size limit of " + maxElementBytes + " bytes");
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }

    private static String oneLine(XMLStreamException e) {
        String message = e.getMessage() == null ? "malformed XML" : e.getMessage();
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
        /** Text since the last child element, collected in one builder (linear in its pieces). */
        StringBuilder text;

        Building(String ns, String name, String prefix, List<Attribute> attributes, Map<String, String> declared) {
            this.ns = ns;
            this.name = name;
            this.prefix = prefix;
            this.attributes = attributes;
            this.declared = declared;
        }

        void flushText() {
            if (text != null) {
                children.add(new XMLText(text.toString()));
                text = null;
            }
        }
    }
}
