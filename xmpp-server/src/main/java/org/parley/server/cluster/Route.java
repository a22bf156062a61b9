package org.parley.server.cluster;

import java.io.Serializable;

/**
 * One bound resource as the whole cluster sees it: which node serves it, which session there, and what the
 * bare-JID delivery rules need (priority, whether initial presence was sent; RFC 6121 §8.5.2).
 *
 * @param resource  the resourcepart of the full JID
 * @param member    the Hazelcast member UUID of the node whose session it is
 * @param session   the session's id on that node
 * @param priority  the presence priority
 * @param available initial presence sent and not yet unavailable
 */
public record Route(String resource, String member, String session, int priority, boolean available)
        implements Serializable {

    /** Available with non-negative priority: a candidate for messages to the bare JID (RFC 6121 §8.5.2.1.1). */
    boolean receivesBareJidMessages() {
        return available && priority >= 0;
    }
}
