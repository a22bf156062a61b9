package org.parley.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a server's XML stream into top-level elements (the children of {@code <stream:stream>}, or of a
 * BOSH {@code <body>}) without building a DOM: the load generator only needs whole stanzas as text and
 * a few attributes, and a full parser per connection would cost more CPU than the servers under test.
 * Handles the XML declaration, quoted attribute values containing {@code >}, self-closing elements and
 * whitespace keepalives. It assumes well-formed input, which is what the servers under test send.
 */
final class StanzaSplitter {
    private final StringBuilder buf = new StringBuilder();
    private int depth;          // 0 outside the root, 1 inside the root (stanza level)
    private int scan;           // where scanning resumes in buf
    private int elementStart = -1;
    private String header;      // the root's start tag, once seen
    private boolean closed;     // the root's end tag was seen

    /** Adds text and returns the top-level elements completed by it, in order. */
    List<String> feed(CharSequence text) {
        buf.append(text);
        List<String> out = new ArrayList<>();
        int n = buf.length();
        int i = scan;
        while (i < n) {
            char c = buf.charAt(i);
            if (c != '<') {
                i++;
                continue;
            }
            int end = tagEnd(i);
            if (end < 0) {
                break; // incomplete tag: wait for more
            }
            char k = i + 1 < n ? buf.charAt(i + 1) : 0;
            if (k == '?' || k == '!') {
                // declaration or comment: skipped
            } else if (k == '/') {
                depth--;
                if (depth == 0) {
                    closed = true;
                } else if (depth == 1 && elementStart >= 0) {
                    out.add(buf.substring(elementStart, end + 1));
                    elementStart = -1;
                }
            } else {
                boolean selfClosing = buf.charAt(end - 1) == '/';
                if (depth == 0) {
                    header = buf.substring(i, end + 1);
                    if (!selfClosing) {
                        depth = 1;
                    } else {
                        closed = true;
                    }
                } else if (depth == 1) {
                    if (selfClosing) {
                        out.add(buf.substring(i, end + 1));
                    } else {
                        elementStart = i;
                        depth++;
                    }
                } else if (!selfClosing) {
                    depth++;
                }
            }
            i = end + 1;
        }
        // Drop what is fully consumed so the buffer stays small on long-lived connections.
        int keep = elementStart >= 0 ? elementStart : i;
        buf.delete(0, keep);
        if (elementStart >= 0) {
            elementStart = 0;
        }
        scan = i - keep;
        return out;
    }

    private int tagEnd(int from) {
        char quote = 0;
        for (int j = from + 1, n = buf.length(); j < n; j++) {
            char c = buf.charAt(j);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                }
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '>') {
                return j;
            }
        }
        return -1;
    }

    /** The root element's start tag ({@code <stream:stream …>} or {@code <body …>}), or null. */
    String header() {
        return header;
    }

    boolean closed() {
        return closed;
    }

    /** Forgets everything, for a stream restart (RFC 6120 §4.3.3) after TLS or SASL. */
    void reset() {
        buf.setLength(0);
        depth = 0;
        scan = 0;
        elementStart = -1;
        header = null;
        closed = false;
    }

    /** The value of attribute {@code name} in the first tag of {@code xml}, or null. */
    static String attr(String xml, String name) {
        int tagEnd = xml.indexOf('>');
        int at = 0;
        while (true) {
            int p = xml.indexOf(name + "=", at);
            if (p < 0 || (tagEnd >= 0 && p > tagEnd)) {
                return null;
            }
            char before = p > 0 ? xml.charAt(p - 1) : ' ';
            if (Character.isWhitespace(before)) {
                char q = xml.charAt(p + name.length() + 1);
                int e = xml.indexOf(q, p + name.length() + 2);
                return xml.substring(p + name.length() + 2, e);
            }
            at = p + 1;
        }
    }

    /** The text content of the first {@code <tag …>…</tag>} in xml ("" when self-closing), or null. */
    static String text(String xml, String tag) {
        int from = 0;
        while (true) {
            int p = xml.indexOf('<' + tag, from);
            if (p < 0) {
                return null;
            }
            int after = p + tag.length() + 1;
            char c = after < xml.length() ? xml.charAt(after) : 0;
            if (c == '>' || c == ' ' || c == '/') {
                int gt = xml.indexOf('>', after);
                if (xml.charAt(gt - 1) == '/') {
                    return "";
                }
                int e = xml.indexOf("</" + tag + '>', gt);
                return e < 0 ? null : xml.substring(gt + 1, e);
            }
            from = after;
        }
    }
}
