package org.parley.server.routing;

import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;

/**
 * A feature on the routing path refuses a stanza before it is delivered (the message archive when its writer's
 * queue is full): the relay answers the sender with this condition instead of delivering, so nothing is lost
 * silently. Carries no stack trace: it is an answer, not a failure.
 */
public final class RefusedException extends RuntimeException {

    private final StanzaErrorCondition condition;

    public RefusedException(StanzaErrorCondition condition, String text) {
        super(text, null, false, false);
        this.condition = condition;
    }

    public StanzaErrorCondition condition() {
        return condition;
    }
}
