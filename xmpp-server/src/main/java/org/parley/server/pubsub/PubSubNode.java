package org.parley.server.pubsub;

import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.parley.server.storage.PubSubStore;

/** One leaf node: configuration, affiliations by bare JID, subscriptions. Guarded by its service's lock. */
final class PubSubNode {

    static final String OWNER = "owner";
    static final String PUBLISHER = "publisher";
    static final String MEMBER = "member";
    static final String OUTCAST = "outcast";
    static final Set<String> AFFILIATIONS = Set.of(OWNER, PUBLISHER, MEMBER, OUTCAST, "publish-only", "none");

    final String name;
    NodeConfig config;
    final Map<String, String> affiliations = new TreeMap<>();
    final Set<String> subscriptions = new LinkedHashSet<>();

    PubSubNode(String name, NodeConfig config) {
        this.name = name;
        this.config = config;
    }

    String affiliation(String bareJid) {
        return affiliations.getOrDefault(bareJid, "none");
    }

    PubSubStore.StoredNode snapshot(String service) {
        return new PubSubStore.StoredNode(service, name, config.values(), Map.copyOf(affiliations),
                Set.copyOf(subscriptions));
    }
}
