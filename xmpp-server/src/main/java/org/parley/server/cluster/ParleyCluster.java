package org.parley.server.cluster;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionException;
import com.hazelcast.topic.ITopic;
import com.hazelcast.topic.Message;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityFormatException;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.server.SessionContext;
import org.apache.vysper.xmpp.stanza.PresenceStanzaType;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.parley.server.muc.MucService;
import org.parley.server.parser.StanzaParsing;
import org.parley.server.render.PrerenderedStanza;
import org.parley.server.render.StanzaSerializer;
import org.parley.server.routing.JidCache;
import org.parley.server.routing.LocalRelay;
import org.parley.server.routing.Prehooked;
import org.parley.server.routing.Redelivery;
import org.parley.server.routing.RoutedStanza;
import org.parley.server.routing.SerialExecutor;
import org.parley.server.routing.SessionRegistry;
import org.parley.server.routing.StanzaErrors;
import org.parley.server.storage.RosterStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's part in a Parley cluster (issue 19), on an embedded Hazelcast member.
 *
 * <ul>
 *   <li><b>Routes</b>: every local binding is mirrored into the cluster-wide route map (bare JID →
 *   {@link RouteSet}) by entry processors; reads go through a near cache. Each node is the source of truth
 *   for its own sessions and re-asserts them after every membership change or split-brain heal.</li>
 *   <li><b>Delivery</b>: a stanza whose receiver is served by another node is forwarded to that node's own
 *   topic, which keeps the order of one publisher (so of one sender, RFC 6120 §10.1); there it is routed
 *   as if it had been sent locally ({@link LocalRelay#routeHere}), hooks (archive, carbons) included.</li>
 *   <li><b>Rooms</b>: each room is hosted by exactly one node, the partition owner of its JID when it is
 *   first addressed, recorded in a map; occupants elsewhere are reached by forwarding.</li>
 *   <li><b>Lost nodes</b>: the oldest survivor removes the lost node's routes and sends unavailable presence
 *   for its users to their contacts; every node lets them leave its rooms and tells its own users that a room
 *   hosted there is gone (status 333); the rooms are re-homed (persistent ones reloaded from the database).</li>
 * </ul>
 */
public final class ParleyCluster implements LocalRelay.RemoteRoutes, SessionRegistry.BindingListener, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ParleyCluster.class);
    private static final String MUC_USER = "http://jabber.org/protocol/muc#user";

    /**
     * A {@link RoutedStanza} on its way to the node serving its addressee, as one byte array (Hazelcast
     * sends byte arrays as they are, with none of Java serialisation's class descriptors): a flags byte, the
     * parsed 'from' and 'to' as UTF-8 text each ended by a zero byte, then the stanza as rendered once by
     * {@link StanzaSerializer}. The origin session stays on its node. Rebuilt there through {@link JidCache}, so
     * a recurring address is not run through stringprep again. Malformed bytes make {@link #decode} throw
     * IllegalArgumentException, which the receiving task logs as one line before dropping them.
     */
    static final class Envelope {
        private static final int ANSWER_FAILURES = 1;
        private static final int REDELIVERY = 2;
        /** Archived (and carbon-copied to the sender) on the sending node: {@link Prehooked}. */
        private static final int PREHOOKED = 4;

        private Envelope() {
        }

        static byte[] encode(RoutedStanza routed, Entity to, boolean answerFailures) {
            byte[] from = routed.from() == null ? new byte[0]
                    : routed.from().getFullQualifiedName().getBytes(StandardCharsets.UTF_8);
            byte[] toBytes = to.getFullQualifiedName().getBytes(StandardCharsets.UTF_8);
            byte[] xml = routed.stanza() instanceof PrerenderedStanza pre ? pre.bytes()
                    : StanzaSerializer.toBytes(routed.stanza());
            byte[] out = new byte[1 + from.length + 1 + toBytes.length + 1 + xml.length];
            out[0] = (byte) ((answerFailures ? ANSWER_FAILURES : 0)
                    | (routed.stanza() instanceof Redelivery ? REDELIVERY : 0)
                    | (routed.stanza() instanceof Prehooked ? PREHOOKED : 0));
            System.arraycopy(from, 0, out, 1, from.length);
            System.arraycopy(toBytes, 0, out, 2 + from.length, toBytes.length);
            System.arraycopy(xml, 0, out, 3 + from.length + toBytes.length, xml.length);
            return out;
        }

        static boolean answerFailures(byte[] envelope) {
            return (envelope[0] & ANSWER_FAILURES) != 0;
        }

        static RoutedStanza decode(byte[] envelope) {
            int fromEnd = zero(envelope, 1);
            int toEnd = zero(envelope, fromEnd + 1);
            String from = new String(envelope, 1, fromEnd - 1, StandardCharsets.UTF_8);
            String to = new String(envelope, fromEnd + 1, toEnd - fromEnd - 1, StandardCharsets.UTF_8);
            Stanza stanza = StanzaParsing.parse(envelope, toEnd + 1, envelope.length - toEnd - 1);
            Stanza marked = (envelope[0] & REDELIVERY) != 0 ? new Redelivery(stanza)
                    : (envelope[0] & PREHOOKED) != 0 ? new Prehooked(stanza) : stanza;
            return new RoutedStanza(marked,
                    from.isEmpty() ? null : jid(from), jid(to), null);
        }

        /** Through {@link JidCache}: the same few addresses recur on every forwarded stanza. */
        private static Entity jid(String text) {
            try {
                if (text.isEmpty()) { // Vysper parses "" as an address with an empty domain
                    throw new EntityFormatException("empty");
                }
                return JidCache.parse(text);
            } catch (EntityFormatException e) {
                throw new IllegalArgumentException("malformed address in envelope: " + text);
            }
        }

        private static int zero(byte[] bytes, int from) {
            for (int i = from; i < bytes.length; i++) {
                if (bytes[i] == 0) {
                    return i;
                }
            }
            throw new IllegalArgumentException("truncated envelope");
        }
    }

    /** Another node bound a resource this node's session {@code session} holds: that session must end. */
    record Conflict(String fullJid, String session) implements Serializable {
    }

    /** A user's place in a room hosted on another node, kept to tell the user if that node is lost. */
    private record Occupancy(String host, String nick) {
    }

    private final HazelcastInstance hz;
    /**
     * This node's member UUID. Not final: Hazelcast gives a member that merges into the other side of a split
     * a new UUID ({@link #merged}), and this node's topic, routes and rooms follow it.
     */
    private volatile String self;
    /** The registrations of this node's own topic and of the departures listener (renewed after a merge). */
    private volatile UUID nodeListener;
    private volatile UUID departuresListener;
    private final String domain;
    private final String mucDomain;
    private final SessionRegistry registry;
    private final LocalRelay relay;
    private final RosterStore rosters;
    private final MucService muc;
    private final Consumer<SessionContext> endForConflict;
    private final Executor workers;
    private final IMap<String, RouteSet> routes;
    private final IMap<String, String> rooms;
    private final ITopic<String> departures;
    /** Split-brain protection of room hosting, when cluster.min-members is set. */
    private final com.hazelcast.splitbrainprotection.SplitBrainProtection quorum;
    private final Map<String, ITopic<Object>> nodeTopics = new ConcurrentHashMap<>();
    private final Map<UUID, SerialExecutor> inbound = new ConcurrentHashMap<>();
    /** Room JID → local full JID → where that occupant is. */
    private final Map<String, Map<String, Occupancy>> remoteOccupancies = new ConcurrentHashMap<>();
    /** Rooms this node took over since it last saw them hosted elsewhere (reloaded once from the database). */
    private final Set<String> adopted = ConcurrentHashMap.newKeySet();
    /**
     * Per bare JID (striped), a binding change and a re-assertion of that JID's routes never interleave: a
     * re-assertion reads the registry under the stripe, so it cannot bring back a route just removed.
     */
    private final Object[] stripes = new Object[64];
    /** Membership work runs here, off Hazelcast's event threads, one event at a time. */
    private final ExecutorService membership = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "parley-cluster-membership");
        t.setDaemon(true);
        return t;
    });

    public ParleyCluster(HazelcastInstance hz, String domain, String mucDomain, SessionRegistry registry,
                         LocalRelay relay, RosterStore rosters, MucService muc,
                         Consumer<SessionContext> endForConflict, Executor workers) {
        this.hz = hz;
        this.self = hz.getCluster().getLocalMember().getUuid().toString();
        this.domain = domain;
        this.mucDomain = mucDomain;
        this.registry = registry;
        this.relay = relay;
        this.rosters = rosters;
        this.muc = muc;
        this.endForConflict = endForConflict;
        this.workers = workers;
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new Object();
        }
        this.routes = hz.getMap(ClusterEngine.ROUTES);
        this.rooms = hz.getMap(ClusterEngine.ROOMS);
        this.departures = hz.getTopic(ClusterEngine.DEPARTURES);
        this.quorum = hz.getConfig().getSplitBrainProtectionConfigs().containsKey(ClusterEngine.QUORUM)
                ? hz.getSplitBrainProtectionService().getSplitBrainProtection(ClusterEngine.QUORUM) : null;
    }

    /** Starts listening: this node's topic, departures, membership; then joins routing. */
    public void start() {
        nodeListener = topicOf(self).addMessageListener(this::received);
        departuresListener = departures.addMessageListener(this::departed);
        hz.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent event) {
                LOG.info("cluster: {} joined; {} members", event.getMember().getAddress(), event.getMembers().size());
                membership.execute(ParleyCluster.this::reassert);
            }

            @Override
            public void memberRemoved(MembershipEvent event) {
                LOG.warn("cluster: {} left or was lost; {} members", event.getMember().getAddress(),
                        event.getMembers().size());
                Member lost = event.getMember();
                membership.execute(() -> lost(lost.getUuid().toString()));
            }
        });
        hz.getLifecycleService().addLifecycleListener(event -> {
            if (event.getState() == LifecycleEvent.LifecycleState.MERGED) {
                LOG.warn("cluster: merged after a split; re-asserting this node's routes and rooms");
                membership.execute(this::merged);
            }
        });
        registry.onBindingChange(this);
        registry.onDeparture(fullJid -> {
            forgetOccupancies(fullJid.getFullQualifiedName());
            try {
                departures.publish(fullJid.getFullQualifiedName());
            } catch (HazelcastInstanceNotActiveException e) {
                // this node left the cluster: the survivors clean up after it
            }
        });
        relay.setRemoteRoutes(this);
        reassert();
        LOG.info("cluster: node {} serving {} with {} members", self, domain, hz.getCluster().getMembers().size());
    }

    /** Another node's session ended: it leaves the rooms this node hosts. */
    private void departed(Message<String> m) {
        if (muc != null && !m.getPublishingMember().localMember()) {
            String fullJid = m.getMessageObject();
            // Parsed on the worker, not on Hazelcast's event thread: what another member sent may be malformed.
            inboundFrom(m.getPublishingMember().getUuid()).execute(() -> {
                try {
                    muc.departed(EntityImpl.parseUnchecked(fullJid));
                } catch (RuntimeException ex) {
                    LOG.error("cluster: departure of {} not handled: {}", fullJid, ex.toString());
                }
            });
        }
    }

    /**
     * After a split-brain heal. The side that merged into the other has a new member UUID (Hazelcast resets it
     * when a member joins another cluster): this node listens on the topic named after it, states its routes
     * and rooms under it, and drops what the merge brought back under the old one (the other side had
     * already removed it as a lost member's; the merge policy re-added the entries only this side still had).
     */
    private void merged() {
        String before = self;
        String now = hz.getCluster().getLocalMember().getUuid().toString();
        try {
            if (!now.equals(before)) {
                LOG.warn("cluster: this member is {} after the merge (was {})", now, before);
                self = now;
                topicOf(before).removeMessageListener(nodeListener);
                nodeTopics.remove(before);
                nodeListener = topicOf(now).addMessageListener(this::received);
                departures.removeMessageListener(departuresListener);
                departuresListener = departures.addMessageListener(this::departed);
                try {
                    rooms.executeOnEntries(new RouteProcessors.DropHost(before));
                } catch (SplitBrainProtectionException e) {
                    // still below min-members: this side claims no rooms anyway
                }
            }
            reassert();
            if (!now.equals(before)) {
                // After the re-assertion, so that this node's users are never without a route in between.
                routes.executeOnEntries(new RouteProcessors.DropMember(before));
            }
        } catch (HazelcastInstanceNotActiveException e) {
            LOG.debug("cluster member stopped during the merge");
        } catch (RuntimeException e) {
            LOG.error("cluster: re-assertion after the merge failed: {}", e.toString());
        }
    }

    /** This node's member UUID. */
    public String memberId() {
        return self;
    }

    /** The Hazelcast member (tests, admin commands). */
    public HazelcastInstance hazelcast() {
        return hz;
    }

    /** The cluster-wide routes of a bare JID (empty when none). */
    public List<Route> routesOf(Entity user) {
        RouteSet set = routes.get(user.getBareJID().getFullQualifiedName());
        return set == null ? List.of() : set.routes();
    }

    /** Every route in the cluster (admin commands, tests). */
    public Map<String, RouteSet> allRoutes() {
        return new HashMap<>(routes);
    }

    /** The member hosting a room now, or null when none does yet. */
    public String hostOfRoom(Entity room) {
        return rooms.get(room.getBareJID().getFullQualifiedName());
    }

    // ---- routes: this node's bindings mirrored into the map ----

    private Route routeOf(SessionRegistry.Binding b) {
        return new Route(b.fullJid().getResource(), self, b.session().getSessionId(), b.priority(),
                org.apache.vysper.xmpp.state.resourcebinding.ResourceState.isAvailable(b.state()));
    }

    @Override
    public void bound(SessionRegistry.Binding binding) {
        Route previous = mirror(binding, new RouteProcessors.Put(routeOf(binding)), "published");
        if (previous != null && !previous.member().equals(self)) {
            // RFC 6120 §7.7.2.2: the newer session wins; the node holding the older one ends it.
            try {
                topicOf(previous.member()).publish(new Conflict(binding.fullJid().getFullQualifiedName(),
                        previous.session()));
            } catch (HazelcastInstanceNotActiveException e) {
                LOG.debug("cluster member stopped; conflict over {} not told", binding.fullJid());
            }
        }
    }

    @Override
    public void changed(SessionRegistry.Binding binding) {
        mirror(binding, new RouteProcessors.Put(routeOf(binding)), "updated");
    }

    @Override
    public void unbound(SessionRegistry.Binding binding) {
        mirror(binding, new RouteProcessors.Remove(binding.fullJid().getResource(), binding.session().getSessionId()),
                "removed");
    }

    /** Runs {@code change} on the binding's route entry under its stripe; null once this member has stopped. */
    private <R> R mirror(SessionRegistry.Binding binding, EntryProcessor<String, RouteSet, R> change, String what) {
        String bare = binding.fullJid().getBareJID().getFullQualifiedName();
        try {
            synchronized (stripe(bare)) {
                return routes.executeOnKey(bare, change);
            }
        } catch (HazelcastInstanceNotActiveException e) {
            LOG.debug("cluster member stopped; route of {} not {}", binding.fullJid(), what);
            return null;
        }
    }

    private Object stripe(String bare) {
        return stripes[(bare.hashCode() & 0x7fffffff) % stripes.length];
    }

    /** States every local binding and hosted room again: after joins, losses and heals. */
    private void reassert() {
        try {
            Map<String, Entity> accounts = new HashMap<>();
            for (SessionRegistry.Binding b : registry.allBindings()) {
                accounts.putIfAbsent(b.fullJid().getBareJID().getFullQualifiedName(), b.fullJid().getBareJID());
            }
            accounts.forEach((bare, account) -> {
                synchronized (stripe(bare)) { // the registry as it is now, not as it was when the loop started
                    List<Route> mine = new ArrayList<>();
                    for (SessionRegistry.Binding b : registry.bindingsOf(account)) {
                        mine.add(routeOf(b));
                    }
                    routes.executeOnKey(bare, new RouteProcessors.Assert(self, mine));
                }
            });
            for (String room : adopted) {
                try {
                    String host = rooms.putIfAbsent(room, self);
                    if (host != null && !host.equals(self)) {
                        adopted.remove(room); // hosted elsewhere now: reloaded from the database if it comes back
                    }
                } catch (SplitBrainProtectionException e) {
                    break; // a minority side claims nothing
                }
            }
            LOG.info("cluster: re-asserted {} accounts' routes and {} rooms", accounts.size(), adopted.size());
        } catch (HazelcastInstanceNotActiveException e) {
            LOG.debug("cluster member stopped; nothing re-asserted");
        } catch (RuntimeException e) {
            LOG.error("cluster: re-assertion failed: {}", e.toString());
        }
    }

    // ---- delivery ----

    @Override
    public boolean forward(RoutedStanza routed, boolean answerFailures) {
        Entity receiver = routed.to();
        if (receiver == null || receiver.getNode() == null) {
            return false;
        }
        try {
            if (receiver.getDomain().equals(domain)) {
                return forwardToAccount(receiver, routed, answerFailures);
            }
            if (receiver.getDomain().equals(mucDomain)) {
                return forwardToRoom(receiver, routed, answerFailures);
            }
            return false;
        } catch (HazelcastInstanceNotActiveException e) {
            return false; // this node left the cluster: it serves only its own sessions
        }
    }

    private boolean forwardToAccount(Entity receiver, RoutedStanza stanza, boolean answerFailures) {
        RouteSet set = routes.get(receiver.getBareJID().getFullQualifiedName());
        if (set == null || set.onlyOn(self)) {
            return false; // offline, or only here: the local relay decides (offline storage, errors)
        }
        String name = stanza.name();
        String type = stanza.type();
        if (receiver.isResourceSet()) {
            Route route = set.resource(receiver.getResource());
            if (route != null) {
                return sendToAccount(route.member(), receiver, stanza, answerFailures);
            }
            // RFC 6121 §8.5.3.2: chat/normal/headline messages and subscription presence fall back to the bare JID.
            boolean fallsBack = "message".equals(name) ? type == null || "chat".equals(type) || "normal".equals(type)
                    || "headline".equals(type) : "presence".equals(name) && isSubscription(type);
            return fallsBack && forwardToBareJid(receiver.getBareJID(), set, stanza, answerFailures, name, type);
        }
        return forwardToBareJid(receiver, set, stanza, answerFailures, name, type);
    }

    private boolean forwardToBareJid(Entity bare, RouteSet set, RoutedStanza stanza, boolean answerFailures, String name,
                                     String type) {
        if ("message".equals(name)) {
            if (type == null || "chat".equals(type) || "normal".equals(type)) {
                // RFC 6121 §8.5.2.1.1 (a): the "most available" resources, the highest priority; on a tie this
                // node's own. The node chosen runs the delivery hooks (archive, carbons) exactly once.
                Route best = null;
                for (Route r : set.routes()) {
                    if (r.receivesBareJidMessages() && (best == null || r.priority() > best.priority()
                            || r.priority() == best.priority() && r.member().equals(self))) {
                        best = r;
                    }
                }
                return best != null && sendToAccount(best.member(), bare, stanza, answerFailures);
            }
            if ("headline".equals(type)) {
                return toEveryNode(bare, set, stanza, answerFailures, true);
            }
            return false;
        }
        if ("presence".equals(name)) {
            // Presence goes to every resource, wherever it is; the nodes holding them each deliver to theirs.
            return toEveryNode(bare, set, stanza, answerFailures, false);
        }
        return false; // IQs to a bare JID are the server's to answer (RFC 6120 §10.5.3)
    }

    /** Sends to every other node holding a route; true (handled) unless this node holds one too. */
    private boolean toEveryNode(Entity bare, RouteSet set, RoutedStanza stanza, boolean answerFailures,
                                boolean availableOnly) {
        Set<String> nodes = new java.util.LinkedHashSet<>();
        boolean here = false;
        for (Route r : set.routes()) {
            if (availableOnly && !r.available()) {
                continue;
            }
            if (r.member().equals(self)) {
                here = true;
            } else {
                nodes.add(r.member());
            }
        }
        for (String node : nodes) {
            send(node, bare, stanza, answerFailures);
        }
        return !here && !nodes.isEmpty();
    }

    private boolean forwardToRoom(Entity receiver, RoutedStanza routed, boolean answerFailures) {
        Stanza stanza = routed.stanza();
        String room = receiver.getBareJID().getFullQualifiedName();
        String host = hostOf(room);
        if (host == null) {
            // Split-brain protection: this side of the cluster is too small to host rooms.
            if (answerFailures && StanzaErrors.answerable(stanza) && routed.from() != null) {
                Stanza error = StanzaErrors.error(stanza, StanzaErrorCondition.SERVICE_UNAVAILABLE,
                        "chat rooms are unavailable while the cluster is split");
                relay.routeHere(new RoutedStanza(error, receiver, routed.from(), null), false);
            }
            return true;
        }
        if ("presence".equals(routed.name()) && receiver.isResourceSet() && routed.from() != null
                && routed.from().getDomain().equals(domain)) {
            trackOccupancy(room, host, routed.from().getFullQualifiedName(), receiver.getResource(),
                    "unavailable".equals(routed.type()));
        }
        if (host.equals(self)) {
            adopt(receiver);
            return false;
        }
        adopted.remove(room);
        send(host, receiver, routed, answerFailures);
        return true;
    }

    /** The first stanza for a room since this node became its host: the room's state comes from the database. */
    private void adopt(Entity room) {
        if (muc != null && adopted.add(room.getBareJID().getFullQualifiedName())) {
            muc.reload(room.getNode());
        }
    }

    /** The node hosting a room, choosing the partition owner of its JID when none does; null without quorum. */
    private String hostOf(String room) {
        // Checked here as well: a near-cached host would otherwise be read without asking the quorum.
        if (quorum != null && !quorum.hasMinimumSize()) {
            return null;
        }
        try {
            String host = rooms.get(room);
            if (host != null && isMember(host)) {
                return host;
            }
            if (host != null) {
                rooms.remove(room, host);
            }
            String candidate = hz.getPartitionService().getPartition(room).getOwner().getUuid().toString();
            String previous = rooms.putIfAbsent(room, candidate);
            return previous == null ? candidate : previous;
        } catch (SplitBrainProtectionException e) {
            return null;
        }
    }

    private boolean isMember(String uuid) {
        for (Member m : hz.getCluster().getMembers()) {
            if (m.getUuid().toString().equals(uuid)) {
                return true;
            }
        }
        return false;
    }

    private boolean sendUnlessSelf(String member, Entity receiver, RoutedStanza stanza, boolean answerFailures) {
        if (member.equals(self)) {
            return false;
        }
        send(member, receiver, stanza, answerFailures);
        return true;
    }

    /** To one resource's node: a 1:1 message is archived here first, before the sender's acknowledgement. */
    private boolean sendToAccount(String member, Entity receiver, RoutedStanza stanza, boolean answerFailures) {
        if (member.equals(self)) {
            return false;
        }
        send(member, receiver, relay.hookBeforeForwarding(stanza, receiver, answerFailures), answerFailures);
        return true;
    }

    private void send(String member, Entity receiver, RoutedStanza stanza, boolean answerFailures) {
        topicOf(member).publish(Envelope.encode(stanza, receiver, answerFailures));
    }

    private ITopic<Object> topicOf(String member) {
        return nodeTopics.computeIfAbsent(member, m -> hz.getTopic(ClusterEngine.NODE_TOPIC + m));
    }

    /** What another node sent here: handled in the order it was published, per publishing node. */
    private void received(Message<Object> message) {
        Object payload = message.getMessageObject();
        inboundFrom(message.getPublishingMember().getUuid()).execute(() -> {
            try {
                if (payload instanceof byte[] e) {
                    RoutedStanza routed = Envelope.decode(e);
                    Entity to = routed.to();
                    if (to.getDomain().equals(mucDomain) && to.getNode() != null) {
                        adopt(to);
                    }
                    relay.routeHere(routed, Envelope.answerFailures(e));
                } else if (payload instanceof Conflict c) {
                    registry.find(EntityImpl.parseUnchecked(c.fullJid()))
                            .filter(b -> b.session().getSessionId().equals(c.session()))
                            .ifPresent(b -> endForConflict.accept(b.session()));
                }
            } catch (RuntimeException ex) {
                LOG.error("cluster: a forwarded {} could not be delivered: {}", payload.getClass().getSimpleName(),
                        ex.toString());
            }
        });
    }

    private SerialExecutor inboundFrom(UUID member) {
        return inbound.computeIfAbsent(member, m -> new SerialExecutor(workers));
    }

    // ---- rooms on other nodes, and lost nodes ----

    private void trackOccupancy(String room, String host, String fullJid, String nick, boolean leaving) {
        if (leaving) {
            remoteOccupancies.computeIfPresent(room, (k, m) -> {
                m.remove(fullJid);
                return m.isEmpty() ? null : m;
            });
        } else if (!host.equals(self)) {
            remoteOccupancies.computeIfAbsent(room, k -> new ConcurrentHashMap<>()).put(fullJid, new Occupancy(host, nick));
        }
    }

    private void forgetOccupancies(String fullJid) {
        for (String room : remoteOccupancies.keySet()) {
            remoteOccupancies.computeIfPresent(room, (k, m) -> {
                m.remove(fullJid);
                return m.isEmpty() ? null : m;
            });
        }
    }

    /** A member left or was lost: what every survivor does, and what the oldest does for all. */
    private void lost(String member) {
        topicOf(member).destroy();
        nodeTopics.remove(member);
        // A restarted node comes back with a new UUID: without this, every departure would leave an executor behind.
        inbound.remove(UUID.fromString(member));
        roomsLost(member);
        Member oldest = hz.getCluster().getMembers().iterator().next();
        if (oldest.localMember()) {
            int hosts = 0;
            try {
                for (Boolean dropped : rooms.executeOnEntries(new RouteProcessors.DropHost(member)).values()) {
                    hosts += Boolean.TRUE.equals(dropped) ? 1 : 0;
                }
            } catch (SplitBrainProtectionException e) {
                // A minority side leaves room hosts alone (it hosts no rooms); routes are cleaned all the same.
            } catch (RuntimeException e) {
                LOG.error("cluster: room hosts of lost member {} not released: {}", member, e.toString());
            }
            try {
                Map<String, ArrayList<Route>> dropped = routes.executeOnEntries(new RouteProcessors.DropMember(member));
                int n = 0;
                for (Map.Entry<String, ArrayList<Route>> e : dropped.entrySet()) {
                    if (e.getValue() == null) {
                        continue;
                    }
                    for (Route r : e.getValue()) {
                        Entity fullJid = EntityImpl.parseUnchecked(e.getKey() + "/" + r.resource());
                        goneOffline(fullJid, r.available());
                        n++;
                    }
                }
                LOG.warn("cluster: removed {} routes and {} room hosts of lost member {}", n, hosts, member);
            } catch (RuntimeException e) {
                LOG.error("cluster: clean-up after lost member {} failed: {}", member, e.toString());
            }
        }
        reassert();
    }

    /**
     * A lost node's resource: it leaves every room (here and, through the departures topic, on every node)
     * and its contacts get unavailable presence on its behalf (RFC 6121 §4.5.2, the server's duty when a
     * session ends without one).
     */
    private void goneOffline(Entity fullJid, boolean wasAvailable) {
        if (muc != null) {
            muc.departed(fullJid);
        }
        departures.publish(fullJid.getFullQualifiedName());
        if (!wasAvailable) {
            return;
        }
        for (var entry : rosters.roster(fullJid.getNode())) {
            if ("from".equals(entry.subscription()) || "both".equals(entry.subscription())) {
                Stanza unavailable = StanzaBuilder.createPresenceStanza(fullJid, EntityImpl.parseUnchecked(entry.contact()),
                        null, PresenceStanzaType.UNAVAILABLE, null, null).build();
                relay.relay(new RoutedStanza(unavailable, fullJid, EntityImpl.parseUnchecked(entry.contact()), null),
                        false);
            }
        }
    }

    /**
     * XEP-0045 §7.2.x status 333: this node's users were in rooms the lost node hosted; each is told its
     * occupancy ended through a technical problem, so its client can join again (the room is re-homed then).
     */
    private void roomsLost(String member) {
        int told = 0;
        for (String room : new ArrayList<>(remoteOccupancies.keySet())) {
            Map<String, Occupancy> occupants = remoteOccupancies.get(room);
            if (occupants == null) {
                continue;
            }
            for (Map.Entry<String, Occupancy> o : new ArrayList<>(occupants.entrySet())) {
                if (!o.getValue().host().equals(member)) {
                    continue;
                }
                occupants.remove(o.getKey());
                Entity occupant = EntityImpl.parseUnchecked(room + "/" + o.getValue().nick());
                Entity user = EntityImpl.parseUnchecked(o.getKey());
                StanzaBuilder b = StanzaBuilder.createPresenceStanza(occupant, user, null,
                        PresenceStanzaType.UNAVAILABLE, null, null);
                b.startInnerElement("x", MUC_USER)
                        .startInnerElement("item", MUC_USER).addAttribute("affiliation", "none")
                        .addAttribute("role", "none").endInnerElement()
                        .startInnerElement("status", MUC_USER).addAttribute("code", "110").endInnerElement()
                        .startInnerElement("status", MUC_USER).addAttribute("code", "333").endInnerElement()
                        .endInnerElement();
                relay.routeHere(new RoutedStanza(b.build(), occupant, user, null), false);
                told++;
            }
            remoteOccupancies.computeIfPresent(room, (k, m) -> m.isEmpty() ? null : m);
        }
        if (told > 0) {
            LOG.warn("cluster: {} occupancies in rooms of lost member {} ended (status 333)", told, member);
        }
    }

    @Override
    public void close() {
        relay.setRemoteRoutes(null);
        membership.shutdownNow();
        try {
            hz.shutdown();
        } catch (RuntimeException e) {
            LOG.debug("cluster member shutdown: {}", e.toString());
        }
    }

    private static boolean isSubscription(String type) {
        return "subscribe".equals(type) || "subscribed".equals(type) || "unsubscribe".equals(type)
                || "unsubscribed".equals(type);
    }
}
