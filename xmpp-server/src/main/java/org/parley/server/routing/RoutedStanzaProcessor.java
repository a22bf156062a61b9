package org.parley.server.routing;

/**
 * A Vysper component's stanza processor that also takes the {@link RoutedStanza} itself, so the relay
 * hands a Parley service (rooms, publish-subscribe) the addresses it already parsed instead of the bare
 * stanza Vysper's {@code StanzaProcessor.processStanza} carries.
 */
public interface RoutedStanzaProcessor {

    /** Handles one stanza routed to the component; runs on the sender's thread. */
    void process(RoutedStanza routed);
}
