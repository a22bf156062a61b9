package org.parley.server.sm;

import org.apache.vysper.xmpp.addressing.Entity;

/**
 * Resumption of streams held by another node of a cluster (issue 19, XEP-0198 §5 the ejabberd way): the node
 * a client comes back to asks the node holding the session to hand it over. {@link Resumption} asks it
 * whenever a resumption id is not held here; a server running alone has none.
 */
public interface RemoteResumption {

    /** What starts every resumption id this node gives out: it tells the other nodes where the session is. */
    String idPrefix();

    /**
     * Takes over the session {@code id} of {@code user}'s account from the node holding it, waiting a bounded
     * time: null when no node holds it for that account, or its node is gone or does not answer in time.
     * Called on the resuming session's thread.
     */
    Resumption.Resumable take(String id, Entity user);

    /** A session of id {@code id} ends here for good (closed, expired or taken by another node). */
    void ended(String id);
}
