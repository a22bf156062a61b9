package org.parley.server.cluster;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.map.IMap;
import com.hazelcast.query.Predicates;
import com.hazelcast.topic.Message;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.protocol.NamespaceURIs;
import org.apache.vysper.xmpp.server.SessionContext;
import org.apache.vysper.xmpp.stanza.PresenceStanza;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.state.resourcebinding.ResourceState;
import org.apache.vysper.xmpp.writer.StanzaWriter;
import org.parley.server.carbons.Carbons;
import org.parley.server.parser.StanzaParsing;
import org.parley.server.render.PrerenderedStanza;
import org.parley.server.render.StanzaSerializer;
import org.parley.server.routing.LocalRelay;
import org.parley.server.routing.SerialExecutor;
import org.parley.server.routing.SessionRegistry;
import org.parley.server.routing.StanzaErrors;
import org.parley.server.sm.RemoteResumption;
import org.parley.server.sm.Resumption;
import org.parley.server.sm.StreamManagement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * XEP-0198 §5 resumption on another node of the cluster, the ejabberd way (issue 19): the node a client comes
 * back to asks the node holding the session to hand it over, and that node gives up its side without ending
 * the session (no unavailable presence, no leaving rooms, no rerouting of the queue to offline storage).
 *
 * <p><b>Where a session is.</b> Every resumption id this node gives out starts with its member UUID
 * ({@link #idPrefix}); once a session was resumed on another node, a map (id → member) says where it went,
 * so that it can move again.
 *
 * <p><b>The hand-over</b>, with B the node the client resumes on and A the node holding the session:
 * <ol>
 *   <li>B asks A, through an executor task run on A ({@link TakeTask}), bounded by {@link #TIMEOUT};</li>
 *   <li>A takes the stream if it is that account's ({@link Resumption#takeLocal}), stops it, seals its queue,
 *   buffers whatever is still written to the session, waits (bounded) until what the old stream handled is
 *   committed (XEP-0198: {@code <resumed h/>} acknowledges it), and answers with the full JID, the counters,
 *   the unacknowledged stanzas, the presence state, priority, roster interest, last presence and carbons;</li>
 *   <li>B moves the route to itself (an entry processor on the route map), binds the same full JID, and
 *   confirms; the stream answers {@code <resumed/>} and sends the unacknowledged stanzas again;</li>
 *   <li>A, confirmed, unbinds its side without a departure and forwards what it buffered, and any straggler
 *   written to the old session later, to B on B's own topic (kept in order per publisher).</li>
 * </ol>
 * If B gives up (no answer in time, or it cannot use the answer) it tells A, which then ends the session as its
 * resumption timeout would (its queue to the account's other resources or offline storage); A does the same
 * when no confirmation comes within {@link #RELEASE_WAIT}.
 */
public final class ClusterResumption implements RemoteResumption {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterResumption.class);

    /** How this node finds itself from a task run on it (Hazelcast's per-member user context). */
    static final String CONTEXT_KEY = "parley.resumption";
    /** Resumption id → member, for sessions resumed on a node other than the one that gave out their id. */
    static final String MOVED = "parley.sm.moved";
    /** Prefix of each node's own topic for hand-over messages, followed by its member UUID. */
    static final String TOPIC = "parley.sm.";
    static final String EXECUTOR = "parley.sm";
    /** The longest a resuming client waits for the other node (XEP-0198 §5 leaves it to the server). */
    static final Duration TIMEOUT = Duration.ofSeconds(5);
    /** How long the old node keeps a handed-out session waiting for the confirmation before ending it. */
    static final Duration RELEASE_WAIT = Duration.ofSeconds(15);
    private static final int TAG_LENGTH = 22; // a UUID's 16 bytes in unpadded base64url
    /** Ids given out are 43 characters ({@link Resumption#newId}); anything much longer is not one. */
    private static final int MAX_ID_LENGTH = 128;

    /** B to A: the session is bound on B; A lets go of it and forwards what it buffered. */
    record Confirm(String token) implements Serializable {
    }

    /** B to A: B could not take the session it asked for; A ends it as its timeout would. */
    record Abort(String token) implements Serializable {
    }

    /** A's answer: everything the resumed session carries over. */
    record Handed(String fullJid, long handled, long acked, ArrayList<byte[]> unacked, String state, int priority,
                  boolean interested, boolean carbons, byte[] presence, boolean stored) implements Serializable {
    }

    /** Run on A at B's request: hands the session out, or null when A holds no such session of that account. */
    static final class TakeTask implements Callable<Handed>, Serializable, HazelcastInstanceAware {
        private static final long serialVersionUID = 1L;
        private final String token;
        private final String id;
        private final String account;
        private final String requester;
        private transient HazelcastInstance hz;

        TakeTask(String token, String id, String account, String requester) {
            this.token = token;
            this.id = id;
            this.account = account;
            this.requester = requester;
        }

        @Override
        public void setHazelcastInstance(HazelcastInstance hz) {
            this.hz = hz;
        }

        @Override
        public Handed call() {
            Object here = hz.getUserContext().get(CONTEXT_KEY);
            return here instanceof ClusterResumption r ? r.handOut(token, id, account, requester) : null;
        }
    }

    /** A session A handed out and not yet confirmed. */
    private record Outgoing(Resumption.Resumable stream, SessionContext session, Entity fullJid, Forwarder forwarder,
                            List<Stanza> unacked, ScheduledFuture<?>[] timer) {
    }

    private final HazelcastInstance hz;
    private final String self;
    private final String prefix;
    private final SessionRegistry registry;
    private final LocalRelay relay;
    private final Resumption resumption;
    private final ScheduledExecutorService timer;
    private final long maxBytes;
    private final IMap<String, RouteSet> routes;
    private final IMap<String, String> moved;
    /** Hand-over messages, handled one at a time in arrival order (so in order per publishing node). */
    private final SerialExecutor inbound;
    private final Map<String, Outgoing> outgoing = new ConcurrentHashMap<>();
    /**
     * Requests their node gave up on before they ran here (the task waited in the executor's queue): they
     * leave the session where it is, still resumable. Forgotten after {@link #RELEASE_WAIT}.
     */
    private final Set<String> aborted = ConcurrentHashMap.newKeySet();
    /** Ids of sessions resumed here from another node: their entry in {@link #moved} is removed when they end. */
    private final Set<String> adoptedIds = ConcurrentHashMap.newKeySet();

    /**
     * @param maxBytes the byte bound of a resumed session's unacknowledged queue (limits.resumption-buffer)
     */
    public ClusterResumption(HazelcastInstance hz, SessionRegistry registry, LocalRelay relay, Resumption resumption,
                             Executor workers, ScheduledExecutorService timer, long maxBytes) {
        this.hz = hz;
        UUID uuid = hz.getCluster().getLocalMember().getUuid();
        this.self = uuid.toString();
        this.prefix = tag(uuid) + ".";
        this.registry = registry;
        this.relay = relay;
        this.resumption = resumption;
        this.timer = timer;
        this.maxBytes = maxBytes;
        this.routes = hz.getMap(ClusterEngine.ROUTES);
        this.moved = hz.getMap(MOVED);
        this.inbound = new SerialExecutor(workers);
    }

    /** Answers other nodes' requests and lets {@link Resumption} ask them. */
    public ClusterResumption start() {
        hz.getUserContext().put(CONTEXT_KEY, this);
        hz.<Object>getTopic(TOPIC + self).addMessageListener(this::received);
        hz.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent event) {
            }

            @Override
            public void memberRemoved(MembershipEvent event) {
                String lost = event.getMember().getUuid().toString();
                inbound.execute(() -> forgetMoved(lost));
            }
        });
        resumption.setRemote(this);
        return this;
    }

    /** The oldest member drops the lost member's entries of the id map: their sessions are gone with it. */
    private void forgetMoved(String lost) {
        try {
            if (hz.getCluster().getMembers().iterator().next().localMember()) {
                moved.removeAll(Predicates.equal("this", lost));
            }
        } catch (RuntimeException e) {
            LOG.debug("resumption ids of lost member {} not dropped: {}", lost, e.toString());
        }
    }

    @Override
    public String idPrefix() {
        return prefix;
    }

    // ---- B: the node the client comes back to ----

    @Override
    public Resumption.Resumable take(String id, Entity user) {
        if (id.length() > MAX_ID_LENGTH) {
            return null; // not one of ours: not worth a look-up in the cluster
        }
        Member holder;
        try {
            holder = member(locate(id));
        } catch (HazelcastInstanceNotActiveException e) {
            return null;
        }
        if (holder == null || holder.localMember()) {
            return null; // unknown id, or its node is gone: item-not-found, the client binds anew
        }
        String token = UUID.randomUUID().toString();
        Handed handed;
        try {
            handed = hz.getExecutorService(EXECUTOR).submitToMember(new TakeTask(token, id,
                    user.getBareJID().getFullQualifiedName(), self), holder).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.warn("resumption of {} on {}: no answer within {} s", user, holder.getAddress(), TIMEOUT.toSeconds());
            abort(holder, token);
            return null;
        } catch (ExecutionException | RuntimeException e) {
            LOG.warn("resumption of {} on {} failed: {}", user, holder.getAddress(), e.toString());
            abort(holder, token);
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abort(holder, token);
            return null;
        }
        if (handed == null) {
            return null;
        }
        try {
            Entity fullJid = EntityImpl.parseUnchecked(handed.fullJid());
            if (!fullJid.getBareJID().equals(user.getBareJID()) || registry.find(fullJid).isPresent()) {
                throw new IllegalStateException("resource not free here: " + fullJid);
            }
            List<Stanza> unacked = new ArrayList<>(handed.unacked().size());
            for (byte[] xml : handed.unacked()) {
                unacked.add(StanzaParsing.parse(xml, 0, xml.length));
            }
            Stanza presence = handed.presence() == null ? null
                    : StanzaParsing.parse(handed.presence(), 0, handed.presence().length);
            StreamManagement state = StreamManagement.restore(id, maxBytes, handed.handled(), handed.acked(), unacked);
            LOG.info("resuming {} from {}: {} stanzas unacknowledged", fullJid, holder.getAddress(), unacked.size());
            return new Adopted(id, token, holder, fullJid, state, handed, presence);
        } catch (RuntimeException e) {
            LOG.warn("resumption of {} from {} refused: {}", user, holder.getAddress(), e.toString());
            abort(holder, token);
            return null;
        }
    }

    /** The member holding session {@code id} as far as the cluster knows: where it moved, else who gave it out. */
    private String locate(String id) {
        String there = moved.get(id);
        return there != null ? there : memberOf(id);
    }

    /** The member UUID an id starts with, or null. */
    static String memberOf(String id) {
        if (id == null || id.length() <= TAG_LENGTH || id.charAt(TAG_LENGTH) != '.') {
            return null;
        }
        try {
            ByteBuffer bytes = ByteBuffer.wrap(Base64.getUrlDecoder().decode(id.substring(0, TAG_LENGTH)));
            return new UUID(bytes.getLong(), bytes.getLong()).toString();
        } catch (IllegalArgumentException | java.nio.BufferUnderflowException e) {
            return null;
        }
    }

    static String tag(UUID uuid) {
        ByteBuffer bytes = ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits())
                .putLong(uuid.getLeastSignificantBits());
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes.array());
    }

    private Member member(String uuid) {
        if (uuid == null) {
            return null;
        }
        for (Member m : hz.getCluster().getMembers()) {
            if (m.getUuid().toString().equals(uuid)) {
                return m;
            }
        }
        return null;
    }

    private void abort(Member holder, String token) {
        try {
            hz.getTopic(TOPIC + holder.getUuid()).publish(new Abort(token));
        } catch (RuntimeException e) {
            LOG.debug("abort of hand-over {} not sent: {}", token, e.toString());
        }
    }

    /** The session as it arrives here: the stream resuming it binds it in {@link #handOver}. */
    private final class Adopted implements Resumption.Resumable {
        private final String id;
        private final String token;
        private final Member holder;
        private final Entity fullJid;
        private final StreamManagement state;
        private final Handed handed;
        private final Stanza presence;

        Adopted(String id, String token, Member holder, Entity fullJid, StreamManagement state, Handed handed,
                Stanza presence) {
            this.id = id;
            this.token = token;
            this.holder = holder;
            this.fullJid = fullJid;
            this.state = state;
            this.handed = handed;
            this.presence = presence;
        }

        @Override
        public Entity fullJid() {
            return fullJid;
        }

        @Override
        public StreamManagement state() {
            return state;
        }

        @Override
        public java.util.concurrent.CompletableFuture<Boolean> whenHandledStored() {
            return java.util.concurrent.CompletableFuture.completedFuture(handed.stored()); // A waited for it
        }

        /**
         * Binds the full JID to the resuming session: the route moves here first, so that binding it (which
         * mirrors the binding into the route map) finds this node's own route and tells the old node of no
         * conflict; the old node lets go once it reads the confirmation.
         */
        @Override
        public void handOver(StanzaWriter next) {
            SessionContext session = (SessionContext) next;
            ResourceState presenceState = ResourceState.valueOf(handed.state());
            try {
                routes.executeOnKey(fullJid.getBareJID().getFullQualifiedName(), new RouteProcessors.Put(
                        new Route(fullJid.getResource(), self, session.getSessionId(), handed.priority(),
                                ResourceState.isAvailable(presenceState))));
                if (registry.adopt(session, fullJid, presenceState, handed.priority(), handed.interested()) == null) {
                    throw new IllegalStateException(fullJid + " was bound here meanwhile");
                }
            } catch (RuntimeException e) {
                abort(holder, token);
                throw e;
            }
            if (presence != null) {
                try {
                    session.getServerRuntimeContext().getPresenceCache().put(fullJid, new PresenceStanza(presence));
                } catch (RuntimeException e) {
                    LOG.debug("last presence of {} not cached: {}", fullJid, e.toString());
                }
            }
            Carbons carbons = session.getServerRuntimeContext().getModule(Carbons.class);
            if (carbons != null) {
                carbons.setEnabled(fullJid, handed.carbons());
            }
            adoptedIds.add(id);
            try {
                moved.set(id, self); // before <resumed/>: a client that drops again at once is found here
            } catch (RuntimeException e) {
                LOG.warn("where {}'s session went is not recorded: {}", fullJid, e.toString());
            }
            hz.getTopic(TOPIC + holder.getUuid()).publish(new Confirm(token));
        }

        @Override
        public java.util.concurrent.CompletableFuture<Void> expire() {
            return java.util.concurrent.CompletableFuture.completedFuture(null); // never detached from here
        }
    }

    @Override
    public void ended(String id) {
        if (adoptedIds.remove(id)) {
            try {
                moved.removeAsync(id);
            } catch (HazelcastInstanceNotActiveException e) {
                // the member stopped: nothing more to tell
            }
        }
    }

    // ---- A: the node holding the session ----

    /** {@link TakeTask} arrived: takes the stream {@code id} of {@code account} off this node for {@code requester}. */
    Handed handOut(String token, String id, String account, String requester) {
        if (aborted.remove(token)) {
            return null;
        }
        Entity user = EntityImpl.parseUnchecked(account);
        Resumption.Resumable old = resumption.takeLocal(id, user);
        if (old == null) {
            return null;
        }
        adoptedIds.remove(id); // the node taking it over records where it went
        Entity fullJid = old.fullJid();
        SessionRegistry.Binding binding = registry.find(fullJid).orElse(null);
        if (binding == null) {
            old.expire();
            return null;
        }
        SessionContext session = binding.session();
        Forwarder forwarder = new Forwarder(fullJid, requester);
        old.handOver(forwarder);
        StreamManagement.Snapshot snapshot = old.state().handOff();
        Stanza presence = null;
        try {
            presence = session.getServerRuntimeContext().getPresenceCache().get(fullJid);
        } catch (RuntimeException e) {
            LOG.debug("last presence of {} not read: {}", fullJid, e.toString());
        }
        Carbons carbons = session.getServerRuntimeContext().getModule(Carbons.class);
        boolean carbonsOn = carbons != null && carbons.isEnabled(fullJid);
        ScheduledFuture<?>[] reclaim = new ScheduledFuture<?>[1];
        outgoing.put(token, new Outgoing(old, session, fullJid, forwarder, snapshot.unacknowledged(), reclaim));
        reclaim[0] = timer.schedule(() -> reclaim(token, "no confirmation"), RELEASE_WAIT.toMillis(),
                TimeUnit.MILLISECONDS);
        boolean stored;
        try {
            stored = old.whenHandledStored().get(TIMEOUT.toMillis() - 1000, TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            stored = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stored = false;
        }
        ArrayList<byte[]> unacked = new ArrayList<>(snapshot.unacknowledged().size());
        for (Stanza s : snapshot.unacknowledged()) {
            unacked.add(bytes(s));
        }
        LOG.info("handing {} over to member {}: {} stanzas unacknowledged", fullJid, requester, unacked.size());
        return new Handed(fullJid.getFullQualifiedName(), snapshot.handled(), snapshot.acked(), unacked,
                binding.state().name(), binding.priority(), binding.interested(), carbonsOn,
                presence == null ? null : bytes(presence), stored);
    }

    /** The resuming node bound the session: this node lets go of it without a departure. */
    private void confirmed(String token) {
        Outgoing out = outgoing.remove(token);
        if (out == null) {
            LOG.warn("a hand-over was confirmed after this node had ended the session");
            return;
        }
        cancel(out);
        registry.handedOff(out.session());
        try {
            out.session().getServerRuntimeContext().getPresenceCache().remove(out.fullJid());
        } catch (RuntimeException e) {
            LOG.debug("last presence of {} not dropped: {}", out.fullJid(), e.toString());
        }
        Carbons carbons = out.session().getServerRuntimeContext().getModule(Carbons.class);
        if (carbons != null) {
            carbons.setEnabled(out.fullJid(), false);
        }
        out.forwarder().forward();
    }

    /**
     * The hand-over failed: the session ends as its resumption timeout would end it, and what it had not
     * delivered (sent unacknowledged, or buffered since) goes to the account's other resources or offline.
     */
    private void reclaim(String token, String why) {
        Outgoing out = outgoing.remove(token);
        if (out == null) {
            return;
        }
        cancel(out);
        LOG.warn("hand-over of {} failed ({}); the session ends", out.fullJid(), why);
        List<Stanza> rest = new ArrayList<>(out.unacked());
        rest.addAll(out.forwarder().reclaim());
        if (registry.bindingOf(out.session()).isPresent()) {
            out.stream().expire().whenComplete((v, e) -> reroute(out.fullJid(), rest));
        } else {
            reroute(out.fullJid(), rest); // another session took the resource over meanwhile
        }
    }

    private static void cancel(Outgoing out) {
        ScheduledFuture<?> t = out.timer()[0];
        if (t != null) {
            t.cancel(false);
        }
    }

    /** XEP-0198 §5, RFC 6121 §8.5.2: undelivered messages go to other resources or offline storage. */
    private void reroute(Entity fullJid, List<Stanza> stanzas) {
        for (Stanza s : stanzas) {
            if (isMessageWithBody(s)) {
                try {
                    relay.reroute(fullJid, s);
                } catch (RuntimeException e) {
                    LOG.warn("undelivered message for {} could not be rerouted: {}", fullJid, e.toString());
                }
            }
        }
    }

    private static boolean isMessageWithBody(Stanza s) {
        return "message".equals(s.getName()) && !StanzaErrors.isError(s)
                && !s.getInnerElementsNamed("body", NamespaceURIs.JABBER_CLIENT).isEmpty();
    }

    private static byte[] bytes(Stanza s) {
        return s instanceof PrerenderedStanza pre ? pre.bytes() : StanzaSerializer.toBytes(s);
    }

    /**
     * The old session's output once handed out: buffered until the new node confirms, then sent to it on its
     * topic (the full JID, a zero byte, the stanza); after a failed hand-over, rerouted.
     */
    private final class Forwarder implements StanzaWriter {
        private final Entity fullJid;
        private final String to;
        private List<Stanza> buffer = new ArrayList<>();
        private boolean reclaimed;

        Forwarder(Entity fullJid, String to) {
            this.fullJid = fullJid;
            this.to = to;
        }

        @Override
        public void write(Stanza stanza) {
            boolean overflow;
            synchronized (this) {
                if (reclaimed) {
                    reroute(fullJid, List.of(stanza));
                    return;
                }
                if (buffer == null) {
                    send(stanza);
                    return;
                }
                buffer.add(stanza);
                overflow = buffer.size() > StreamManagement.MAX_UNACKED;
            }
            if (overflow) {
                outgoing.entrySet().stream().filter(e -> e.getValue().forwarder() == this).map(Map.Entry::getKey)
                        .findFirst().ifPresent(token -> ClusterResumption.this.reclaim(token, "too much buffered"));
            }
        }

        synchronized void forward() {
            List<Stanza> waiting = buffer;
            buffer = null;
            waiting.forEach(this::send);
        }

        synchronized List<Stanza> reclaim() {
            reclaimed = true;
            List<Stanza> waiting = buffer == null ? List.of() : buffer;
            buffer = null;
            return waiting;
        }

        private void send(Stanza stanza) {
            byte[] jid = fullJid.getFullQualifiedName().getBytes(StandardCharsets.UTF_8);
            byte[] xml = bytes(stanza);
            byte[] out = new byte[jid.length + 1 + xml.length];
            System.arraycopy(jid, 0, out, 0, jid.length);
            System.arraycopy(xml, 0, out, jid.length + 1, xml.length);
            try {
                hz.getTopic(TOPIC + to).publish(out);
            } catch (RuntimeException e) {
                LOG.warn("a stanza for {} could not be forwarded to its new node: {}", fullJid, e.toString());
            }
        }

        @Override
        public void close() {
            // the new node's session closes its own stream
        }
    }

    // ---- messages on this node's topic ----

    private void received(Message<Object> message) {
        Object payload = message.getMessageObject();
        inbound.execute(() -> {
            try {
                if (payload instanceof byte[] forwarded) {
                    deliverForwarded(forwarded);
                } else if (payload instanceof Confirm c) {
                    confirmed(c.token());
                } else if (payload instanceof Abort a) {
                    if (!outgoing.containsKey(a.token()) && aborted.add(a.token())) {
                        timer.schedule(() -> aborted.remove(a.token()), RELEASE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                    }
                    reclaim(a.token(), "the resuming node gave up");
                }
            } catch (RuntimeException e) {
                LOG.error("cluster resumption: a {} could not be handled: {}", payload.getClass().getSimpleName(),
                        e.toString());
            }
        });
    }

    /** A stanza the old node still had for a session resumed here: to that session, or rerouted if it ended. */
    private void deliverForwarded(byte[] forwarded) {
        int zero = 0;
        while (zero < forwarded.length && forwarded[zero] != 0) {
            zero++;
        }
        if (zero == forwarded.length) {
            throw new IllegalArgumentException("truncated forwarded stanza");
        }
        Entity fullJid = EntityImpl.parseUnchecked(new String(forwarded, 0, zero, StandardCharsets.UTF_8));
        Stanza stanza = StanzaParsing.parse(forwarded, zero + 1, forwarded.length - zero - 1);
        var binding = registry.find(fullJid);
        if (binding.isPresent()) {
            binding.get().session().getResponseWriter().write(stanza);
        } else {
            reroute(fullJid, List.of(stanza));
        }
    }
}
