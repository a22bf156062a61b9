package org.parley.server.pubsub;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;

/**
 * What other features see of an account's PEP nodes: a chance to refuse an item before a client's publish
 * stores it (e.g. an avatar that is no image), and word that a client changed a node (published, retracted,
 * purged, deleted) so a mirrored store can follow (XEP-0398 vCard avatars, XEP-0411 private-XML bookmarks).
 * Changes made through {@link PepService}'s own methods are not reported, so mirroring never loops.
 */
public interface PepHook {

    /** A refusal of a publish: the stanza error, an optional pubsub#errors condition and a one-line text. */
    record Refusal(StanzaErrorCondition condition, String pubsubCondition, String text) {
    }

    /** Null to accept the item a client publishes to {@code node} of {@code account}, else why not. */
    default Refusal check(Entity account, String node, String itemId, XMLElement payload) {
        return null;
    }

    /** A client's request changed {@code node} of {@code account}; called after the change, outside any lock. */
    default void changed(Entity account, String node) {
    }
}
