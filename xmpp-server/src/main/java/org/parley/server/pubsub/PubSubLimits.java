package org.parley.server.pubsub;

/**
 * Item bounds of publish-subscribe nodes.
 *
 * @param pepMaxItems     pubsub#max_items of a new PEP node (XEP-0163 §5 recommends 1)
 * @param serviceMaxItems pubsub#max_items of a new node of the pubsub service
 * @param itemLimit       the most items an owner may configure a node to keep ({@code max} means this)
 * @param itemBytes       largest item payload, in bytes of its XML (issue 17, limits.pubsub-item-size)
 * @param itemsPerAccount items one account's PEP nodes may hold together (limits.pubsub-items-per-account)
 * @param nodesPerAccount PEP nodes of one account, and pubsub service nodes it owns (limits.pubsub-nodes-per-account)
 */
public record PubSubLimits(int pepMaxItems, int serviceMaxItems, int itemLimit, int itemBytes, int itemsPerAccount,
                           int nodesPerAccount) {

    public static final PubSubLimits DEFAULTS = new PubSubLimits(1, 10, 256);

    /** These bounds with item payloads up to 256 KiB. */
    public PubSubLimits(int pepMaxItems, int serviceMaxItems, int itemLimit) {
        this(pepMaxItems, serviceMaxItems, itemLimit, 256 * 1024, 1000, 100);
    }

    /** These bounds with another largest item payload (limits.pubsub-item-size). */
    public PubSubLimits withItemBytes(int bytes) {
        return new PubSubLimits(pepMaxItems, serviceMaxItems, itemLimit, bytes, itemsPerAccount, nodesPerAccount);
    }

    /** These bounds with other per-account quotas (limits.pubsub-items-per-account, -nodes-per-account). */
    public PubSubLimits withAccountQuotas(int items, int nodes) {
        return new PubSubLimits(pepMaxItems, serviceMaxItems, itemLimit, itemBytes, items, nodes);
    }

    public PubSubLimits {
        if (pepMaxItems < 1 || serviceMaxItems < 1 || itemLimit < Math.max(pepMaxItems, serviceMaxItems)
                || itemBytes < 1 || itemsPerAccount < 1 || nodesPerAccount < 1) {
            throw new IllegalArgumentException("item limits must be positive and itemLimit the largest");
        }
    }
}
