package org.parley.server.routing;

import org.apache.vysper.xmpp.stanza.Stanza;

/**
 * A 1:1 message whose archive and sent-carbon hooks already ran on the cluster node of its sender, before
 * that node forwarded it to the node serving its addressee ({@link LocalRelay#hookBeforeForwarding}): the
 * sender's XEP-0198 acknowledgement then covers the archive commit, so a message acknowledged there is kept
 * even if the other node dies before delivering it. The receiving node delivers it (and runs the hooks that
 * concern delivery: received carbons, push) without archiving it a second time. Only server code creates
 * one; nothing a client sends can pass for it.
 */
public final class Prehooked extends Stanza {

    public Prehooked(Stanza stanza) {
        super(stanza.getNamespaceURI(), stanza.getName(), stanza.getNamespacePrefix(), stanza.getAttributes(),
                stanza.getInnerFragments(), stanza.getDeclaredNamespaces());
    }
}
