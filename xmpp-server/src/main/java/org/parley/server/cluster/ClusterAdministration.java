package org.parley.server.cluster;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.hazelcast.aggregation.Aggregator;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.core.IExecutorService;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.map.IMap;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.parley.server.admin.OtherNodes;
import org.parley.server.parser.StreamErrorCondition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin commands' view of the other nodes (issue 19): sessions from the cluster's route map; sessions ended
 * and in-memory state reloaded on the other nodes as tasks on Hazelcast's executor service, waited for (bounded),
 * so a command answers once the other nodes have acted and counts what they really ended; each member's
 * sessions and hosted rooms counted where the entries live (aggregations: no node copies the whole route map
 * for a count). Also logs the cluster's make-up after every membership change.
 */
final class ClusterAdministration implements OtherNodes {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterAdministration.class);
    /** The executor requests to other nodes run on, and the key under which each member finds its {@link Local}. */
    static final String EXECUTOR = "parley.admin";
    /** How long an admin command waits for the other nodes to act (a lost node is skipped after this). */
    private static final long WAIT_SECONDS = 10;

    /**
     * A request from one node's admin commands, run on another: end the sessions of a JID (bare: all of them), or
     * reload something. Runs on the target member's executor thread and finds that node's {@link Local} in the
     * member's user context.
     */
    static final class Request implements Callable<Integer>, Serializable, HazelcastInstanceAware {
        private static final long serialVersionUID = 1L;
        private final String jid;
        private final String condition;
        private final String text;
        private final String change;
        private transient HazelcastInstance target;

        Request(String jid, String condition, String text, String change) {
            this.jid = jid;
            this.condition = condition;
            this.text = text;
            this.change = change;
        }

        @Override
        public void setHazelcastInstance(HazelcastInstance instance) {
            this.target = instance;
        }

        @Override
        public Integer call() throws Exception {
            Local local = (Local) target.getUserContext().get(EXECUTOR);
            if (local == null) {
                return 0; // that node is still starting or already stopping
            }
            if (change != null) {
                local.reload(Change.valueOf(change));
                return 0;
            }
            int n = local.endSessions(EntityImpl.parse(jid), StreamErrorCondition.valueOf(condition), text);
            if (n > 0) {
                LOG.info("cluster: {} sessions of {} ended as another node's administrator asked", n, jid);
            }
            return n;
        }
    }

    private final HazelcastInstance hz;
    private final ParleyCluster cluster;
    private final IMap<String, RouteSet> routes;
    private final IMap<String, String> rooms;
    private final IExecutorService executor;
    /** Membership logging runs here, off Hazelcast's event threads, in order. */
    private final ExecutorService work = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "parley-cluster-admin");
        t.setDaemon(true);
        return t;
    });

    ClusterAdministration(HazelcastInstance hz, ParleyCluster cluster, Local local) {
        this.hz = hz;
        this.cluster = cluster;
        this.routes = hz.getMap(ClusterEngine.ROUTES);
        this.rooms = hz.getMap(ClusterEngine.ROOMS);
        this.executor = hz.getExecutorService(EXECUTOR);
        hz.getUserContext().put(EXECUTOR, local);
    }

    void start() {
        hz.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent event) {
                work.execute(ClusterAdministration.this::logState);
            }

            @Override
            public void memberRemoved(MembershipEvent event) {
                work.execute(ClusterAdministration.this::logState);
            }
        });
        hz.getLifecycleService().addLifecycleListener(event -> {
            if (event.getState() == LifecycleEvent.LifecycleState.SHUTTING_DOWN) {
                hz.getUserContext().remove(EXECUTOR);
                work.shutdownNow();
            }
        });
    }

    /** Runs {@code request} on {@code members} and waits (bounded); returns the sum of what they answered. */
    private int runOn(Set<com.hazelcast.cluster.Member> members, Request request) {
        if (members.isEmpty()) {
            return 0;
        }
        Map<com.hazelcast.cluster.Member, Future<Integer>> futures = executor.submitToMembers(request, members);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        int sum = 0;
        for (Map.Entry<com.hazelcast.cluster.Member, Future<Integer>> f : futures.entrySet()) {
            try {
                sum += f.getValue().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (ExecutionException | TimeoutException | RuntimeException e) {
                LOG.warn("cluster: admin request to {} failed: {}", f.getKey().getAddress(), e.toString());
            }
        }
        return sum;
    }

    private Set<com.hazelcast.cluster.Member> others() {
        Set<com.hazelcast.cluster.Member> out = new HashSet<>();
        for (com.hazelcast.cluster.Member m : hz.getCluster().getMembers()) {
            if (!m.localMember()) {
                out.add(m);
            }
        }
        return out;
    }

    private static String address(com.hazelcast.cluster.Member m) {
        return m.getAddress().getHost() + ":" + m.getAddress().getPort();
    }

    @Override
    public List<RemoteSession> sessions() {
        Map<String, String> addresses = new HashMap<>();
        for (com.hazelcast.cluster.Member m : others()) {
            addresses.put(m.getUuid().toString(), address(m));
        }
        List<RemoteSession> out = new ArrayList<>();
        for (Map.Entry<String, RouteSet> e : cluster.allRoutes().entrySet()) {
            for (Route r : e.getValue().routes()) {
                String node = addresses.get(r.member());
                // This node's own are listed from its streams; a just-lost member's are being removed.
                if (node != null) {
                    out.add(new RemoteSession(EntityImpl.parseUnchecked(e.getKey() + "/" + r.resource()), node));
                }
            }
        }
        return out;
    }

    @Override
    public int endSessions(Entity jid, StreamErrorCondition condition, String text) {
        Set<String> holding = new HashSet<>();
        for (Route r : cluster.routesOf(jid)) {
            if (!jid.isResourceSet() || r.resource().equals(jid.getResource())) {
                holding.add(r.member());
            }
        }
        Set<com.hazelcast.cluster.Member> targets = others();
        targets.removeIf(m -> !holding.contains(m.getUuid().toString()));
        return runOn(targets, new Request(jid.getFullQualifiedName(), condition.name(), text, null));
    }

    @Override
    public void changed(Change what) {
        runOn(others(), new Request(null, null, null, what.name()));
    }

    @Override
    public List<Member> members() {
        Map<String, Integer> sessions = routes.aggregate(new RoutesPerMember());
        Map<String, Integer> hosted;
        try {
            hosted = rooms.aggregate(new RoomsPerHost());
        } catch (com.hazelcast.splitbrainprotection.SplitBrainProtectionException e) {
            hosted = Map.of(); // a side below cluster.min-members hosts no rooms
        }
        List<Member> out = new ArrayList<>();
        for (com.hazelcast.cluster.Member m : hz.getCluster().getMembers()) {
            String id = m.getUuid().toString();
            out.add(new Member(address(m), m.localMember(), sessions.getOrDefault(id, 0),
                    hosted.getOrDefault(id, 0)));
        }
        return out;
    }

    /** One line for the operator after a membership change: who is in, and what each serves. */
    private void logState() {
        try {
            StringBuilder line = new StringBuilder();
            List<Member> members = members();
            for (Member m : members) {
                line.append(line.length() == 0 ? "" : "; ").append(m.address()).append(m.self() ? " (this node)" : "")
                        .append(' ').append(m.sessions()).append(" sessions ").append(m.rooms()).append(" rooms");
            }
            LOG.info("cluster: {} members: {}", members.size(), line);
        } catch (RuntimeException e) {
            LOG.debug("cluster: state not logged: {}", e.toString());
        }
    }

    /** Bound resources per member UUID, counted on each partition and combined. */
    static final class RoutesPerMember implements Aggregator<Map.Entry<String, RouteSet>, HashMap<String, Integer>> {
        private final HashMap<String, Integer> counts = new HashMap<>();

        @Override
        public void accumulate(Map.Entry<String, RouteSet> entry) {
            for (Route r : entry.getValue().routes()) {
                counts.merge(r.member(), 1, Integer::sum);
            }
        }

        @Override
        public void combine(Aggregator aggregator) {
            ((RoutesPerMember) aggregator).counts.forEach((k, v) -> counts.merge(k, v, Integer::sum));
        }

        @Override
        public HashMap<String, Integer> aggregate() {
            return counts;
        }
    }

    /** Rooms per hosting member UUID. */
    static final class RoomsPerHost implements Aggregator<Map.Entry<String, String>, HashMap<String, Integer>> {
        private final HashMap<String, Integer> counts = new HashMap<>();

        @Override
        public void accumulate(Map.Entry<String, String> entry) {
            counts.merge(entry.getValue(), 1, Integer::sum);
        }

        @Override
        public void combine(Aggregator aggregator) {
            ((RoomsPerHost) aggregator).counts.forEach((k, v) -> counts.merge(k, v, Integer::sum));
        }

        @Override
        public HashMap<String, Integer> aggregate() {
            return counts;
        }
    }
}
