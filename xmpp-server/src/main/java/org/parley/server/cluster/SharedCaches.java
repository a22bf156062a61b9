package org.parley.server.cluster;

import java.io.Serializable;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.core.IExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Caches of database state that every node keeps for its hot paths (issue 19): when one node changes what such a
 * cache holds, the others forget their copy before the change is answered, so e.g. a block (XEP-0191) takes
 * effect on every node's relay at once, not whenever that node's cache happens to be refreshed. Runs as tasks on
 * Hazelcast's executor service, waited for (bounded): a node that does not answer in time is lost or stopping.
 */
final class SharedCaches {

    private static final Logger LOG = LoggerFactory.getLogger(SharedCaches.class);
    static final String EXECUTOR = "parley.caches";
    private static final long WAIT_MILLIS = 3000;

    /** Forget {@code key} in the cache registered as {@code cache} on the member it runs on. */
    static final class Forget implements Callable<Boolean>, Serializable, HazelcastInstanceAware {
        private static final long serialVersionUID = 1L;
        private final String cache;
        private final String key;
        private transient HazelcastInstance target;

        Forget(String cache, String key) {
            this.cache = cache;
            this.key = key;
        }

        @Override
        public void setHazelcastInstance(HazelcastInstance instance) {
            this.target = instance;
        }

        @Override
        @SuppressWarnings("unchecked")
        public Boolean call() {
            Consumer<String> forget = (Consumer<String>) target.getUserContext().get(EXECUTOR + "." + cache);
            if (forget != null) {
                forget.accept(key);
            }
            return forget != null;
        }
    }

    private final HazelcastInstance hz;
    private final IExecutorService executor;

    SharedCaches(HazelcastInstance hz) {
        this.hz = hz;
        this.executor = hz.getExecutorService(EXECUTOR);
    }

    /** On this node, {@code forget} drops a key of {@code cache} when another node changed it. */
    void register(String cache, Consumer<String> forget) {
        hz.getUserContext().put(EXECUTOR + "." + cache, forget);
    }

    /** This node changed {@code key} of {@code cache}: every other node forgets its copy; returns once they did. */
    void changed(String cache, String key) {
        Map<com.hazelcast.cluster.Member, Future<Boolean>> futures;
        try {
            futures = executor.submitToMembers(new Forget(cache, key),
                    m -> !m.localMember());
        } catch (RuntimeException e) {
            LOG.debug("cluster: {} of {} not invalidated elsewhere: {}", cache, key, e.toString());
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
        for (Map.Entry<com.hazelcast.cluster.Member, Future<Boolean>> f : futures.entrySet()) {
            try {
                f.getValue().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (ExecutionException | TimeoutException | RuntimeException e) {
                LOG.warn("cluster: {} cache on {} not invalidated: {}", cache, f.getKey().getAddress(), e.toString());
            }
        }
    }
}
