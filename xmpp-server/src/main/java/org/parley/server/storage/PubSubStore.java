package org.parley.server.storage;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Publish-subscribe nodes and their items (XEP-0060), for the pubsub service and for every account's
 * personal eventing service (XEP-0163). A {@code service} is the address hosting the nodes: an account's
 * bare JID for PEP, or the pubsub component's domain.
 */
public interface PubSubStore {

    /**
     * One stored node.
     *
     * @param settings      configuration by option name (the pubsub#node_config field without "pubsub#")
     * @param affiliations  bare JID → affiliation (owner, publisher, member, outcast)
     * @param subscriptions JIDs (bare or full) holding a subscription
     */
    record StoredNode(String service, String node, Map<String, String> settings, Map<String, String> affiliations,
                      Set<String> subscriptions) {
    }

    /**
     * One published item.
     *
     * @param payload the item's payload as XML text, or null for a notification-only item
     */
    record StoredItem(String id, String publisher, String payload) {
    }

    /** Every node of a service. */
    List<StoredNode> nodes(String service);

    Optional<StoredNode> node(String service, String node);

    /** Creates or replaces the node's configuration, affiliations and subscriptions (its items stay). */
    void saveNode(StoredNode node);

    /** Removes the node and its items; false when it was not stored. */
    boolean deleteNode(String service, String node);

    /**
     * Stores the item as the node's newest (replacing an item with the same id) and drops the oldest
     * beyond {@code maxItems}.
     */
    void publish(String service, String node, StoredItem item, int maxItems);

    /** Removes one item; false when there was none with that id. */
    boolean retract(String service, String node, String itemId);

    /** Removes every item of the node. */
    void purge(String service, String node);

    /** Drops the oldest items beyond {@code maxItems}. */
    void trim(String service, String node, int maxItems);

    /** How many items each node of the service holds (nodes without items are left out): for quotas. */
    Map<String, Integer> itemCounts(String service);

    /** The node's items, newest first, at most {@code max}. */
    List<StoredItem> items(String service, String node, int max);

    /** The items with these ids that exist, newest first. */
    List<StoredItem> items(String service, String node, Set<String> ids);
}
