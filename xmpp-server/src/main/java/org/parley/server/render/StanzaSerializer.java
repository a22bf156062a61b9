package org.parley.server.render;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.apache.vysper.xml.fragment.Attribute;
import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xml.fragment.XMLFragment;
import org.apache.vysper.xml.fragment.XMLText;

/**
 * Serialises Vysper's element model straight into UTF-8 bytes, once per stanza, for the transports.
 *
 * <p>Compared with Vysper's {@code Renderer} (a String per element level, then a String→bytes copy per
 * recipient) it writes one byte array, and it escapes as XML 1.0 requires where the Renderer does not:
 * in attribute values TAB, LF and CR become character references (a parser would otherwise normalise them
 * to spaces, XML 1.0 §3.3.3), in text CR does (line-end handling would drop it, §2.11); characters XML 1.0
 * cannot carry at all (§2.2: most C0 controls, lone surrogates, U+FFFE/U+FFFF) become U+FFFD instead of
 * breaking the recipient's stream. Everything else matches the Renderer byte for byte (double quotes,
 * {@code <a></a>} for empty elements, namespace declarations where the element enters a namespace), so
 * transcripts and stored stanzas look as before.
 *
 * <p>Namespaces: an unprefixed element declares {@code xmlns} when its namespace is not the default in
 * scope; a prefixed one declares its prefix when unbound; the element's own declarations (from the parser)
 * are written as they came; a namespaced attribute uses the {@code xml} prefix or a bound prefix, else a
 * generated {@code ns1}, {@code ns2}… Not thread-safe; {@link #toBytes} makes a fresh one per call.
 */
public final class StanzaSerializer {

    static final String XML_NS = "http://www.w3.org/XML/1998/namespace";

    private byte[] buf = new byte[512];
    private int len;
    /** In-scope bindings as prefix/uri pairs, innermost last; each element drops its own when it ends. */
    private String[] scope = new String[16];
    private int scopeLen;
    private int generated;

    private StanzaSerializer() {
    }

    /** The element as UTF-8 XML. */
    public static byte[] toBytes(XMLElement element) {
        StanzaSerializer s = new StanzaSerializer();
        s.element(element, null);
        return Arrays.copyOf(s.buf, s.len);
    }

    /** The element as a String (logs, storage); the same XML as {@link #toBytes}. */
    public static String toXml(XMLElement element) {
        StanzaSerializer s = new StanzaSerializer();
        s.element(element, null);
        return new String(s.buf, 0, s.len, java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * The stanza with its top-level {@code to} attribute left out, split where it belongs: each recipient's
     * bytes are {@code head + to="…" + tail}, so a room renders a message once for all occupants.
     */
    public static AddressedRendering addressable(XMLElement stanza) {
        StanzaSerializer s = new StanzaSerializer();
        int[] splice = new int[1];
        s.element(stanza, splice);
        byte[] head = Arrays.copyOf(s.buf, splice[0]);
        byte[] tail = Arrays.copyOfRange(s.buf, splice[0], s.len);
        return new AddressedRendering(head, tail);
    }

    /** A value escaped for a double-quoted attribute, as UTF-8 (the spliced 'to'). */
    static byte[] attributeValue(String value) {
        StanzaSerializer s = new StanzaSerializer();
        s.escaped(value, true);
        return Arrays.copyOf(s.buf, s.len);
    }

    // ---------------------------------------------------------------- writing

    /** @param splice when not null, the top element's 'to' is left out and its place recorded in splice[0] */
    private void element(XMLElement e, int[] splice) {
        int mark = scopeLen;
        currentMark = mark;
        String prefix = e.getNamespacePrefix() == null ? "" : e.getNamespacePrefix();
        String uri = e.getNamespaceURI() == null ? "" : e.getNamespaceURI();
        ascii('<');
        int nameAt = len;
        if (!prefix.isEmpty()) {
            raw(prefix);
            ascii(':');
        }
        raw(e.getName());
        int nameEnd = len;

        // The element's own declarations, as the parser (or a builder) recorded them, then its namespace unless
        // in scope under its prefix; one declaration per prefix, with Vysper's precedence (its ad-hoc commands
        // are in no namespace but declare xmlns='…commands': that declaration stands; two xmlns attributes
        // would make the stanza ill-formed).
        Map<String, String> declared = e.getDeclaredNamespaces();
        Map<String, String> declarations = new java.util.LinkedHashMap<>();
        if (declared != null) {
            for (Map.Entry<String, String> d : declared.entrySet()) {
                declarations.put(d.getKey() == null ? "" : d.getKey(), d.getValue() == null ? "" : d.getValue());
            }
        }
        if (!uri.isEmpty()) {
            if (!declarations.containsValue(uri) && !uri.equals(lookup(prefix))) {
                declarations.put(prefix, uri);
            }
        } else if (prefix.isEmpty() && !declarations.containsKey("") && !lookup("").isEmpty()) {
            declarations.put("", ""); // out of the parent's default namespace
        }
        for (Map.Entry<String, String> d : declarations.entrySet()) {
            declare(d.getKey(), d.getValue());
        }
        List<Attribute> attributes = e.getAttributes();
        for (Attribute a : attributes) {
            String ns = a.getNamespaceUri();
            if (ns != null && !ns.isEmpty() && !XML_NS.equals(ns) && prefixOf(ns) == null) {
                declare("ns" + (++generated), ns);
            }
        }
        for (Attribute a : attributes) {
            String name = a.getName();
            if (name.startsWith("xmlns")) {
                continue; // declarations are written from the model's namespaces, never copied as attributes
            }
            if (splice != null && "to".equals(name) && (a.getNamespaceUri() == null || a.getNamespaceUri().isEmpty())) {
                splice[0] = len;
                continue;
            }
            ascii(' ');
            String ns = a.getNamespaceUri();
            if (ns != null && !ns.isEmpty()) {
                raw(XML_NS.equals(ns) ? "xml" : prefixOf(ns));
                ascii(':');
            }
            raw(name);
            ascii('=');
            ascii('"');
            escaped(a.getValue() == null ? "" : a.getValue(), true);
            ascii('"');
        }
        if (splice != null && splice[0] == 0) {
            splice[0] = len; // no 'to' yet: it goes after the other attributes
        }
        ascii('>');
        for (XMLFragment f : e.getInnerFragments()) {
            if (f instanceof XMLElement child) {
                element(child, null);
            } else if (f instanceof XMLText text) {
                escaped(text.getText(), false);
            } else {
                throw new IllegalArgumentException("cannot serialise " + f.getClass().getName());
            }
        }
        ascii('<');
        ascii('/');
        ensure(nameEnd - nameAt);
        System.arraycopy(buf, nameAt, buf, len, nameEnd - nameAt);
        len += nameEnd - nameAt;
        ascii('>');
        scopeLen = mark;
    }

    /** Writes {@code xmlns[:prefix]="uri"} and brings the binding into scope for this element. */
    private void declare(String prefix, String uri) {
        for (int i = scopeLen - 2; i >= 0; i -= 2) {
            if (scope[i].equals(prefix)) {
                if (scope[i + 1].equals(uri) && i >= mark()) {
                    return; // declared on this very element already
                }
                break;
            }
        }
        if (scopeLen + 2 > scope.length) {
            scope = Arrays.copyOf(scope, scope.length * 2);
        }
        scope[scopeLen++] = prefix;
        scope[scopeLen++] = uri;
        ascii(' ');
        raw(prefix.isEmpty() ? "xmlns" : "xmlns:" + prefix);
        ascii('=');
        ascii('"');
        escaped(uri, true);
        ascii('"');
    }

    /** Where the element whose start tag is being written began its bindings. */
    private int currentMark;

    private int mark() {
        return currentMark;
    }

    /** The namespace bound to {@code prefix} in scope; null when unbound ("" counts as bound for no default). */
    private String lookup(String prefix) {
        for (int i = scopeLen - 2; i >= 0; i -= 2) {
            if (scope[i].equals(prefix)) {
                return scope[i + 1];
            }
        }
        return prefix.isEmpty() ? "" : null;
    }

    /** A prefix bound to {@code uri} in scope (not the default namespace: attributes never use it). */
    private String prefixOf(String uri) {
        for (int i = scopeLen - 2; i >= 0; i -= 2) {
            if (!scope[i].isEmpty() && scope[i + 1].equals(uri) && uri.equals(lookup(scope[i]))) {
                return scope[i];
            }
        }
        return null;
    }

    private void ascii(char c) {
        ensure(1);
        buf[len++] = (byte) c;
    }

    /** Names and prefixes: the model holds them as parsed, written as UTF-8 without escaping. */
    private void raw(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                ascii(c);
            } else {
                i = utf8(s, i);
            }
        }
    }

    private void escaped(String s, boolean attribute) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> ref("&amp;");
                case '<' -> ref("&lt;");
                case '>' -> ref("&gt;");
                case '"' -> {
                    if (attribute) {
                        ref("&quot;");
                    } else {
                        ascii(c);
                    }
                }
                case '\r' -> ref("&#13;");
                case '\n' -> {
                    if (attribute) {
                        ref("&#10;");
                    } else {
                        ascii(c);
                    }
                }
                case '\t' -> {
                    if (attribute) {
                        ref("&#9;");
                    } else {
                        ascii(c);
                    }
                }
                default -> {
                    if (c >= 0x20 && c < 0x80) {
                        ascii(c);
                    } else if (c < 0x20) {
                        replacement(); // not a character of XML 1.0 (§2.2)
                    } else {
                        i = utf8(s, i);
                    }
                }
            }
        }
    }

    private void ref(String entity) {
        for (int i = 0; i < entity.length(); i++) {
            ascii(entity.charAt(i));
        }
    }

    /** Encodes the character at {@code i} (a surrogate pair counts as one) and returns the last index used. */
    private int utf8(String s, int i) {
        char c = s.charAt(i);
        int cp;
        if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
            cp = Character.toCodePoint(c, s.charAt(i + 1));
            i++;
        } else if (Character.isSurrogate(c) || c == 0xFFFE || c == 0xFFFF) {
            replacement();
            return i;
        } else {
            cp = c;
        }
        ensure(4);
        if (cp < 0x800) {
            buf[len++] = (byte) (0xC0 | cp >> 6);
            buf[len++] = (byte) (0x80 | cp & 0x3F);
        } else if (cp < 0x10000) {
            buf[len++] = (byte) (0xE0 | cp >> 12);
            buf[len++] = (byte) (0x80 | cp >> 6 & 0x3F);
            buf[len++] = (byte) (0x80 | cp & 0x3F);
        } else {
            buf[len++] = (byte) (0xF0 | cp >> 18);
            buf[len++] = (byte) (0x80 | cp >> 12 & 0x3F);
            buf[len++] = (byte) (0x80 | cp >> 6 & 0x3F);
            buf[len++] = (byte) (0x80 | cp & 0x3F);
        }
        return i;
    }

    /** U+FFFD REPLACEMENT CHARACTER. */
    private void replacement() {
        ensure(3);
        buf[len++] = (byte) 0xEF;
        buf[len++] = (byte) 0xBF;
        buf[len++] = (byte) 0xBD;
    }

    private void ensure(int more) {
        if (len + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
        }
    }
}
