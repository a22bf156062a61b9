package org.parley.server.cluster;

import java.io.Serializable;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.topic.ITopic;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.stanza.PresenceStanzaType;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.apache.vysper.xmpp.state.presence.LatestPresenceCache;
import org.apache.vysper.xmpp.state.resourcebinding.ResourceState;
import org.parley.server.routing.LocalRelay;
import org.parley.server.routing.RoutedStanza;
import org.parley.server.routing.SerialExecutor;
import org.parley.server.routing.SessionRegistry;
import org.parley.server.stream.StanzaDispatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An account's own resources on different nodes see each other's presence (RFC 6121 §4.2.2, §4.4.2: a user is
 * implicitly subscribed to its own presence; issue 19). The node serving a resource broadcasts only to the
 * resources it serves itself; this forwards the rest: a resource's broadcast presence (and the unavailable
 * presence when its session ends without one) to the account's resources on other nodes, and, when a resource
 * sends its initial presence, asks those nodes to send it the current presence of theirs.
 */
final class SharedOwnPresence {

    private static final Logger LOG = LoggerFactory.getLogger(SharedOwnPresence.class);
    static final String TOPIC = "parley.own-presence.";

    /** Send {@code to} the latest presence of this node's available resources of its account. */
    record Probe(String to) implements Serializable {
    }

    private final ParleyCluster cluster;
    private final SessionRegistry registry;
    private final LocalRelay relay;
    private final LatestPresenceCache presences;
    private final SerialExecutor inbound;
    /** Local full JIDs that sent available presence: the next one from them is not initial. */
    private final Set<Entity> available = ConcurrentHashMap.newKeySet();

    SharedOwnPresence(ParleyCluster cluster, SessionRegistry registry, LocalRelay relay, LatestPresenceCache presences,
                      Executor workers) {
        this.cluster = cluster;
        this.registry = registry;
        this.relay = relay;
        this.presences = presences;
        this.inbound = new SerialExecutor(workers);
    }

    void start(StanzaDispatcher dispatcher) {
        ITopic<Probe> mine = cluster.hazelcast().getTopic(TOPIC + cluster.memberId());
        mine.addMessageListener(m -> {
            String to = m.getMessageObject().to();
            inbound.execute(() -> answer(to));
        });
        dispatcher.observeBroadcastPresence(this::broadcast);
        registry.onDeparture(fullJid -> {
            if (available.remove(fullJid)) {
                // The session ended without unavailable presence: the server sends it on its behalf (§4.5.2).
                Stanza gone = StanzaBuilder.createPresenceStanza(fullJid, null, null, PresenceStanzaType.UNAVAILABLE,
                        null, null).build();
                toOtherNodes(fullJid, gone);
            }
        });
    }

    private void broadcast(Entity fullJid, Stanza presence) {
        String type = presence.getAttributeValue("type");
        if (type != null && !"unavailable".equals(type)) {
            return; // subscriptions and errors are not broadcast
        }
        boolean initial = type == null && available.add(fullJid);
        if (type != null) {
            available.remove(fullJid);
        }
        Set<String> nodes = toOtherNodes(fullJid, presence);
        if (initial) {
            for (String node : nodes) {
                cluster.hazelcast().<Probe>getTopic(TOPIC + node).publish(new Probe(fullJid.getFullQualifiedName()));
            }
        }
    }

    /** Forwards {@code presence} from {@code fullJid} to the account's resources elsewhere; returns their nodes. */
    private Set<String> toOtherNodes(Entity fullJid, Stanza presence) {
        Set<String> nodes = new LinkedHashSet<>();
        try {
            String self = cluster.memberId();
            for (Route r : cluster.routesOf(fullJid)) {
                if (r.member().equals(self) || r.resource().equals(fullJid.getResource())) {
                    continue;
                }
                nodes.add(r.member());
                Entity to = new EntityImpl(fullJid.getNode(), fullJid.getDomain(), r.resource());
                relay.relay(new RoutedStanza(StanzaBuilder.createForwardStanza(presence, fullJid, to), fullJid, to,
                        null), false);
            }
        } catch (HazelcastInstanceNotActiveException e) {
            LOG.debug("cluster member stopped; presence of {} not forwarded", fullJid);
        } catch (RuntimeException e) {
            LOG.error("cluster: presence of {} not forwarded to its other resources: {}", fullJid, e.toString());
        }
        return nodes;
    }

    /** Another node's resource came online: it gets the presence of this node's available resources of its account. */
    private void answer(String to) {
        try {
            Entity newcomer = EntityImpl.parse(to);
            for (SessionRegistry.Binding b : registry.bindingsOf(newcomer.getBareJID())) {
                if (b.fullJid().equals(newcomer) || !ResourceState.isAvailable(b.state())) {
                    continue;
                }
                Stanza latest = presences.get(b.fullJid());
                if (latest != null) {
                    relay.relay(new RoutedStanza(StanzaBuilder.createForwardStanza(latest, b.fullJid(), newcomer),
                            b.fullJid(), newcomer, null), false);
                }
            }
        } catch (Exception e) {
            LOG.error("cluster: own presence for {} not sent: {}", to, e.toString());
        }
    }
}
