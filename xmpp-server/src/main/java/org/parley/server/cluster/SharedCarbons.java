package org.parley.server.cluster;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;

import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.topic.ITopic;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.parley.server.carbons.Carbons;
import org.parley.server.parser.StanzaParsing;
import org.parley.server.render.PrerenderedStanza;
import org.parley.server.render.StanzaSerializer;
import org.parley.server.routing.SerialExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Message Carbons (XEP-0280 §6) across nodes (issue 19): the node that sends or delivers a message makes the
 * copies for the account's resources it serves, and asks each other node holding an available resource of the
 * account to make its own (only that node knows which of its sessions enabled carbons). The request goes to that
 * node's own topic (one publisher's requests stay in order) and is handled there off Hazelcast's event thread.
 */
final class SharedCarbons {

    private static final Logger LOG = LoggerFactory.getLogger(SharedCarbons.class);
    static final String TOPIC = "parley.carbons.";

    /** Make the copies of {@code xml} (the message as rendered) for this node's resources of {@code account}. */
    record Copy(String account, String direction, ArrayList<String> except, byte[] xml) implements Serializable {
    }

    private final ParleyCluster cluster;
    private final Carbons carbons;
    private final SerialExecutor inbound;

    SharedCarbons(ParleyCluster cluster, Carbons carbons, Executor workers) {
        this.cluster = cluster;
        this.carbons = carbons;
        this.inbound = new SerialExecutor(workers);
    }

    void start() {
        ITopic<Copy> mine = cluster.hazelcast().getTopic(TOPIC + cluster.memberId());
        mine.addMessageListener(m -> {
            Copy c = m.getMessageObject();
            inbound.execute(() -> {
                try {
                    Stanza message = StanzaParsing.parse(c.xml(), 0, c.xml().length);
                    List<Entity> except = new ArrayList<>();
                    for (String e : c.except()) {
                        except.add(EntityImpl.parse(e));
                    }
                    carbons.copyHere(EntityImpl.parse(c.account()), message, c.direction(), except);
                } catch (Exception e) {
                    LOG.error("cluster: carbon copies for {} not made: {}", c.account(), e.toString());
                }
            });
        });
        cluster.hazelcast().getCluster().addMembershipListener(new com.hazelcast.cluster.MembershipListener() {
            @Override
            public void memberAdded(com.hazelcast.cluster.MembershipEvent event) {
            }

            @Override
            public void memberRemoved(com.hazelcast.cluster.MembershipEvent event) {
                try { // a lost node's topic would otherwise stay behind on every member
                    cluster.hazelcast().getTopic(TOPIC + event.getMember().getUuid()).destroy();
                } catch (RuntimeException e) {
                    LOG.debug("cluster: carbons topic of a lost member not destroyed: {}", e.toString());
                }
            }
        });
        carbons.copyElsewhere(this::copy);
    }

    private void copy(Entity account, Stanza message, String direction, List<Entity> except) {
        String self = cluster.memberId();
        Set<String> nodes = new LinkedHashSet<>();
        try {
            for (Route r : cluster.routesOf(account)) {
                if (r.available() && !r.member().equals(self) && except.stream()
                        .noneMatch(e -> r.resource().equals(e.getResource()))) {
                    nodes.add(r.member());
                }
            }
            if (nodes.isEmpty()) {
                return;
            }
            byte[] xml = message instanceof PrerenderedStanza pre ? pre.bytes() : StanzaSerializer.toBytes(message);
            ArrayList<String> skip = new ArrayList<>();
            for (Entity e : except) {
                skip.add(e.getFullQualifiedName());
            }
            Copy request = new Copy(account.getBareJID().getFullQualifiedName(), direction, skip, xml);
            for (String node : nodes) {
                cluster.hazelcast().<Copy>getTopic(TOPIC + node).publish(request);
            }
        } catch (HazelcastInstanceNotActiveException e) {
            LOG.debug("cluster member stopped; no carbons for {} elsewhere", account);
        }
    }
}
