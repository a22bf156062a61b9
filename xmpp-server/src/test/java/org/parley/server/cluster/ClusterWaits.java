package org.parley.server.cluster;

import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import com.hazelcast.cluster.Member;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.Presence;
import org.jivesoftware.smack.packet.Stanza;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.parley.server.testing.TestServer;

/**
 * What the cluster failure tests (ClusterKillTest, ClusterPartitionTest) wait on and check: bounded waits for
 * states the cluster reaches asynchronously, stanza queues fed by Smack's synchronous listeners (which keep
 * the order of arrival), and the invariants on the route and room-host maps.
 */
final class ClusterWaits {

    /** Generous: six builds share two cores, and failure detection, merges and migrations all take seconds. */
    static final long TIMEOUT_SECONDS = 60;

    private ClusterWaits() {
    }

    /** Waits for a condition with a deadline: the cluster converges asynchronously and offers no event for it. */
    static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + TIMEOUT_SECONDS + " s: " + what);
            }
            try {
                Thread.sleep(20); // polling, bounded by the deadline
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
        }
    }

    /** The first stanza in {@code queue} that matches, within the timeout; null when none came. */
    static <T> T next(BlockingQueue<T> queue, Predicate<T> wanted) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        for (long left; (left = deadline - System.nanoTime()) > 0; ) {
            T item = queue.poll(left, TimeUnit.NANOSECONDS);
            if (item != null && wanted.test(item)) {
                return item;
            }
        }
        return null;
    }

    /** Every stanza of this kind {@code c} receives, in order of arrival. */
    static <T extends Stanza> BlockingQueue<T> queue(XMPPTCPConnection c, Class<T> kind, Predicate<T> filter) {
        BlockingQueue<T> queue = new LinkedBlockingQueue<>();
        // A sync listener: Smack calls async listeners concurrently, which would reorder what arrived in order.
        c.addSyncStanzaListener(s -> queue.add(kind.cast(s)), s -> kind.isInstance(s) && filter.test(kind.cast(s)));
        return queue;
    }

    static BlockingQueue<Presence> presencesFrom(XMPPTCPConnection c, String fromBare) {
        return queue(c, Presence.class, p -> p.getFrom() != null && p.getFrom().asBareJid().toString().equals(fromBare));
    }

    static BlockingQueue<Message> chats(XMPPTCPConnection c) {
        return queue(c, Message.class, m -> m.getType() == Message.Type.chat && m.getBody() != null);
    }

    static BlockingQueue<Message> groupchat(XMPPTCPConnection c, String room) {
        return queue(c, Message.class, m -> m.getType() == Message.Type.groupchat && m.getFrom() != null
                && m.getFrom().asBareJid().toString().equals(room) && m.getBody() != null);
    }

    /** XEP-0045 §7.2.x: an occupant's own unavailable presence with status 333 (the room's host was lost). */
    static boolean isLostRoom(Presence p) {
        return p.getType() == Presence.Type.unavailable && p.toXML().toString().contains("code='333'")
                || p.getType() == Presence.Type.unavailable && p.toXML().toString().contains("code=\"333\"");
    }

    /** The member UUIDs {@code node} sees in its cluster now. */
    static Set<String> members(TestServer node) {
        return node.server().cluster().hazelcast().getCluster().getMembers().stream()
                .map(Member::getUuid).map(Object::toString).collect(Collectors.toSet());
    }

    /** Routes whose member is not in the cluster {@code node} sees: must be none once it has converged. */
    static Set<String> routesToNonMembers(TestServer node) {
        Set<String> members = members(node);
        return node.server().cluster().allRoutes().entrySet().stream()
                .flatMap(e -> e.getValue().routes().stream().filter(r -> !members.contains(r.member()))
                        .map(r -> e.getKey() + "/" + r.resource() + "@" + r.member()))
                .collect(Collectors.toSet());
    }
}
