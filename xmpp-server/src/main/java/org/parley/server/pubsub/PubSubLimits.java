package org.parley.server.pubsub;

/**
 * Item bounds of publish-subscribe nodes.
 *
 * @param pepMaxItems     pubsub#max_items of a new PEP node (XEP-0163 §5 recommends 1)
 * @param serviceMaxItems pubsub#max_items of a new node of the pubsub service
 * @param itemLimit       the most items an owner may configure a node to keep ({@code max} means this)
 * @param itemBytes       largest item payload, in bytes of its XML (issue 17, limits.pubsub-item-size)
 */
public record PubSubLimits(int pepMaxItems, int serviceMaxItems, int itemLimit, int itemBytes) {

    public static final PubSubLimits DEFAULTS = new PubSubLimits(1, 10, 256);

    /** These bounds with item payloads up to 256 KiB. */
    public PubSubLimits(int pepMaxItems, int serviceMaxItems, int itemLimit) {
        this(pepMaxItems, serviceMaxItems, itemLimit, 256 * 1024);
    }

    /** These bounds with another largest item payload (limits.pubsub-item-size). */
    public PubSubLimits withItemBytes(int bytes) {
        return new PubSubLimits(pepMaxItems, serviceMaxItems, itemLimit, bytes);
    }

    public PubSubLimits {
        if (pepMaxItems < 1 || serviceMaxItems < 1 || itemLimit < Math.max(pepMaxItems, serviceMaxItems)
                || itemBytes < 1) {
            throw new IllegalArgumentException("item limits must be positive and itemLimit the largest");
        }
    }
}
