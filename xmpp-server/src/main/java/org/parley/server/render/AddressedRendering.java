package org.parley.server.render;

import java.nio.charset.StandardCharsets;

/**
 * A stanza serialised once for many recipients (a room message to its occupants): the bytes before and
 * after its top-level {@code to} attribute. {@link #forRecipient} splices one address in; everything else,
 * payload and {@code from} included, is shared. Immutable, so one rendering serves every occupant's thread.
 */
public final class AddressedRendering {

    private static final byte[] TO = " to=\"".getBytes(StandardCharsets.US_ASCII);

    private final byte[] head;
    private final byte[] tail;

    AddressedRendering(byte[] head, byte[] tail) {
        this.head = head;
        this.tail = tail;
    }

    /** The whole stanza addressed to {@code to} (a JID as text), as UTF-8. */
    public byte[] forRecipient(String to) {
        byte[] address = StanzaSerializer.attributeValue(to);
        byte[] out = new byte[head.length + TO.length + address.length + 1 + tail.length];
        int at = 0;
        System.arraycopy(head, 0, out, at, head.length);
        at += head.length;
        System.arraycopy(TO, 0, out, at, TO.length);
        at += TO.length;
        System.arraycopy(address, 0, out, at, address.length);
        at += address.length;
        out[at++] = '"';
        System.arraycopy(tail, 0, out, at, tail.length);
        return out;
    }
}
