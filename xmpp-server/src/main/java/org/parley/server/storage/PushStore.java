package org.parley.server.storage;

import java.util.List;

/** The push notification registrations (XEP-0357) of each local account, keyed by username. */
public interface PushStore {

    /**
     * One app server registration.
     *
     * @param service the app server's pubsub service JID
     * @param node    its node for this device
     * @param options the publish-options data form as XML text, or null
     */
    record Registration(String service, String node, String options) {
    }

    List<Registration> registrations(String username);

    /** Adds the registration, or replaces the options of the one with the same service and node (§5). */
    void put(String username, Registration registration);

    /** Removes the registration for that service and node, or every one of the service when node is null (§6). */
    int remove(String username, String service, String node);
}
