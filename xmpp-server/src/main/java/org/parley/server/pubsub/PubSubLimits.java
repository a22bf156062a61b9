package org.parley.server.pubsub;

/**
 * Item bounds of publish-subscribe nodes.
 *
 * @param pepMaxItems     pubsub#max_items of a new PEP node (XEP-0163 §5 recommends 1)
 * @param serviceMaxItems pubsub#max_items of a new node of the pubsub service
 * @param itemLimit       the most items an owner may configure a node to keep ({@code max} means this)
 */
public record PubSubLimits(int pepMaxItems, int serviceMaxItems, int itemLimit) {

    public static final PubSubLimits DEFAULTS = new PubSubLimits(1, 10, 256);

    public PubSubLimits {
        if (pepMaxItems < 1 || serviceMaxItems < 1 || itemLimit < Math.max(pepMaxItems, serviceMaxItems)) {
            throw new IllegalArgumentException("item limits must be positive and itemLimit the largest");
        }
    }
}
