package org.parley.server.render;

import java.util.ArrayList;
import java.util.List;

import org.apache.vysper.xml.fragment.Attribute;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.stanza.Stanza;

/**
 * One recipient's copy of a stanza rendered once for many ({@link AddressedRendering}): a full Vysper
 * stanza (stream management may keep it, client state indication may hold it, hooks may read it) that
 * shares the original's payload and carries its own 'to', and whose bytes are spliced, not serialised
 * again, when the session writes it.
 */
public final class PrerenderedStanza extends Stanza {

    private final AddressedRendering rendering;
    private final String to;

    /** {@code shared} readdressed to {@code to}; {@code rendering} must be {@code shared}'s. */
    public PrerenderedStanza(Stanza shared, AddressedRendering rendering, Entity to) {
        this(shared, rendering, to.getFullQualifiedName());
    }

    private PrerenderedStanza(Stanza shared, AddressedRendering rendering, String to) {
        super(shared.getNamespaceURI(), shared.getName(), shared.getNamespacePrefix(), withTo(shared, to),
                shared.getInnerFragments(), shared.getDeclaredNamespaces());
        this.rendering = rendering;
        this.to = to;
    }

    private static List<Attribute> withTo(Stanza shared, String to) {
        List<Attribute> attributes = new ArrayList<>(shared.getAttributes().size() + 1);
        boolean replaced = false;
        for (Attribute a : shared.getAttributes()) {
            if ("to".equals(a.getName()) && (a.getNamespaceUri() == null || a.getNamespaceUri().isEmpty())) {
                attributes.add(new Attribute("to", to));
                replaced = true;
            } else {
                attributes.add(a);
            }
        }
        if (!replaced) {
            attributes.add(new Attribute("to", to));
        }
        return attributes;
    }

    /** This copy's bytes: the shared rendering with this recipient's address spliced in. */
    public byte[] bytes() {
        return rendering.forRecipient(to);
    }
}
