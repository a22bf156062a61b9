package org.parley.server.pubsub;

import java.util.ArrayList;
import java.util.List;

import org.apache.vysper.xmpp.modules.servicediscovery.management.Feature;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoElement;

/** The XEP-0060 §10 features Parley implements, as advertised in disco#info. */
final class PubSubFeatures {

    private static final List<String> COMMON = List.of("access-open", "access-presence", "access-whitelist",
            "auto-create", "config-node", "create-nodes", "delete-items", "delete-nodes", "item-ids",
            "last-published", "modify-affiliations", "persistent-items", "publish", "publish-options",
            "purge-nodes", "retract-items", "retrieve-affiliations", "retrieve-default", "retrieve-items",
            "retrieve-subscriptions", "subscribe");

    private PubSubFeatures() {
    }

    /** For an account (XEP-0163 §6): the common ones plus implicit subscriptions and filtering. */
    static List<String> pep() {
        List<String> all = new ArrayList<>();
        all.add(PubSubXml.PUBSUB);
        COMMON.forEach(f -> all.add(PubSubXml.PUBSUB + "#" + f));
        all.add(PubSubXml.PUBSUB + "#auto-subscribe");
        all.add(PubSubXml.PUBSUB + "#filtered-notifications");
        all.add(PubSubXml.PUBSUB + "#presence-notifications");
        return all;
    }

    /** For the pubsub component. */
    static List<String> service() {
        List<String> all = new ArrayList<>();
        all.add(PubSubXml.PUBSUB);
        COMMON.forEach(f -> all.add(PubSubXml.PUBSUB + "#" + f));
        all.add(PubSubXml.PUBSUB + "#instant-nodes");
        return all;
    }

    static List<InfoElement> asInfo(List<String> features) {
        List<InfoElement> result = new ArrayList<>();
        features.forEach(f -> result.add(new Feature(f)));
        return result;
    }
}
