package org.parley.server.cluster;

import java.util.function.Supplier;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Secrets every node of a cluster must hold alike (issue 19), kept in a Hazelcast map and created once: the
 * first node that asks offers its own value with {@code putIfAbsent}, and every node uses whatever won.
 *
 * <p>Why not a setting: the operator has nothing to generate, distribute or keep in step, and no node can
 * start with a different one by mistake. The value crosses the cluster link, which carries every stanza in the
 * clear already (the README says to keep that link on a private network). It is read from the map at each use
 * (slot requests and PUTs are human-paced), so if the cluster ever loses both copies of it, the next node to
 * ask puts its own again and all nodes agree at once; only slots signed just before that fail, and slots are
 * short-lived. Values are never logged.
 */
final class SharedSecrets {

    private static final Logger LOG = LoggerFactory.getLogger(SharedSecrets.class);
    static final String MAP = "parley.secrets";

    private final IMap<String, byte[]> secrets;

    SharedSecrets(HazelcastInstance hz) {
        this.secrets = hz.getMap(MAP);
    }

    /**
     * The cluster's value of {@code name}, {@code offered} (this node's own) when the cluster had none. When
     * the member has left the cluster (shutting down), the value last seen is used.
     */
    Supplier<byte[]> shared(String name, byte[] offered) {
        java.util.concurrent.atomic.AtomicReference<byte[]> last = new java.util.concurrent.atomic.AtomicReference<>(offered.clone());
        Supplier<byte[]> supplier = () -> {
            try {
                byte[] value = secrets.get(name);
                if (value == null) {
                    byte[] previous = secrets.putIfAbsent(name, offered);
                    value = previous == null ? offered : previous;
                }
                last.set(value);
                return value;
            } catch (RuntimeException e) {
                LOG.debug("cluster secret {} not readable ({}); using the one last seen", name, e.toString());
                return last.get();
            }
        };
        supplier.get(); // created or adopted now, before clients arrive
        return supplier;
    }
}
