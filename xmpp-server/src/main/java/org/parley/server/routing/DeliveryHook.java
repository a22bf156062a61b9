package org.parley.server.routing;

import java.util.List;

import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.server.SessionContext;
import org.apache.vysper.xmpp.stanza.Stanza;

/**
 * Features that act on messages as the relay routes them between local accounts: the message archive
 * (XEP-0313) and carbons (XEP-0280). Hooks run synchronously, in routing order, on the sender's thread.
 */
public interface DeliveryHook {

    /**
     * A message a local user's session sent to another local account, before it is routed.
     *
     * @return the message to route on (e.g. stamped), never null
     */
    default Stanza sent(Entity sender, Entity recipient, Stanza message) {
        return message;
    }

    /**
     * A message about to be delivered to a local account (or stored for it while it is offline).
     *
     * @return the message to deliver (e.g. stamped with the recipient's archive id), never null
     */
    default Stanza receiving(Entity recipientBare, Stanza message) {
        return message;
    }

    /** The message was delivered to these sessions of the recipient (none: it went offline). */
    default void delivered(Entity recipientBare, Stanza message, List<SessionContext> sessions) {
    }
}
