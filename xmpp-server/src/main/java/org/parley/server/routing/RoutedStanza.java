package org.parley.server.routing;

import java.util.Objects;

import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.server.SessionContext;
import org.apache.vysper.xmpp.stanza.Stanza;

/**
 * One stanza on its way through the server, with its addresses parsed once: created by the dispatcher
 * (which checked and stamped 'from', RFC 6120 §8.1.2.1, and parsed 'to') and handed unchanged to the
 * modules, the relay and the transport. Nothing after the dispatcher parses these addresses again
 * (Vysper's {@code Stanza.getFrom()/getTo()} run stringprep on every call).
 *
 * <p>This is the unit a relay routes, and the seam a clustered relay sends between nodes: {@link #stanza},
 * {@link #from} and {@link #to} are plain data (serialise the stanza as XML and the two addresses as
 * text); {@link #origin} is the sending session on this node, never sent to another node and absent
 * (null) for stanzas the server makes itself. Immutable: a module that changes the stanza makes a new
 * record ({@link #withStanza}, {@link #readdressed}).
 *
 * @param stanza the stanza, whose 'from'/'to' attributes are the texts of {@code from}/{@code to}
 * @param from   the sender's address; null only for a stanza without 'from' (the server's own)
 * @param to     the addressee; null when the stanza has no 'to' (for the sender's own account, RFC 6120 §10.3)
 * @param origin the local session that sent it, or null (server-made, or arrived from another node)
 */
public record RoutedStanza(Stanza stanza, Entity from, Entity to, SessionContext origin) {

    public RoutedStanza {
        Objects.requireNonNull(stanza, "stanza");
    }

    /**
     * A stanza made by the server (or one of Vysper's handlers) whose addresses are only text: parsed through
     * the bounded {@link JidCache}; a malformed address becomes null.
     */
    public static RoutedStanza of(Stanza stanza) {
        return new RoutedStanza(stanza, JidCache.parseOrNull(stanza.getAttributeValue("from")),
                JidCache.parseOrNull(stanza.getAttributeValue("to")), null);
    }

    /** The same, with the addressee already parsed (Vysper's relay interface hands it over). */
    public static RoutedStanza of(Entity to, Stanza stanza) {
        return new RoutedStanza(stanza, JidCache.parseOrNull(stanza.getAttributeValue("from")), to, null);
    }

    /** The same addresses and origin with a changed stanza (a hook added a payload; addressing unchanged). */
    public RoutedStanza withStanza(Stanza changed) {
        return changed == stanza ? this : new RoutedStanza(changed, from, to, origin);
    }

    /** A stanza sent on behalf of this one to another addressee (a room's reflection to one occupant). */
    public RoutedStanza readdressed(Stanza changed, Entity newFrom, Entity newTo) {
        return new RoutedStanza(changed, newFrom, newTo, origin);
    }

    /** The element name: message, presence or iq. */
    public String name() {
        return stanza.getName();
    }

    /** The stanza's 'type' attribute, or null. */
    public String type() {
        return stanza.getAttributeValue("type");
    }
}
