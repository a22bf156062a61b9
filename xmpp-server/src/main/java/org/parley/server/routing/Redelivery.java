package org.parley.server.routing;

import org.apache.vysper.xmpp.stanza.Stanza;

/**
 * A message the server hands out a second time from its own keeping (offline storage, or a session that
 * ended before its client acknowledged it, XEP-0198 §5). The delivery hooks saw it when it was first routed
 * (archived, stamped with the recipient's XEP-0359 id, carbon-copied), so {@link LocalRelay} delivers it
 * without running them again. Only server code creates one; nothing a client sends can pass for it.
 */
public final class Redelivery extends Stanza {

    public Redelivery(Stanza stanza) {
        super(stanza.getNamespaceURI(), stanza.getName(), stanza.getNamespacePrefix(), stanza.getAttributes(),
                stanza.getInnerFragments(), stanza.getDeclaredNamespaces());
    }
}
