package org.parley.server.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.NearCacheConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.SplitBrainProtectionConfig;
import com.hazelcast.config.TopicConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import org.parley.server.config.ClusterSettings;

/**
 * Builds and starts the embedded Hazelcast member (Community Edition) from {@link ClusterSettings}: AP data
 * structures only (maps with one synchronous backup, topics; no CP subsystem), TCP-IP join by default,
 * Hazelcast's logging through SLF4J, no phone-home, no Jet engine, no metrics collection.
 */
public final class ClusterEngine {

    /** Bare JID → its bound resources, cluster-wide. */
    static final String ROUTES = "parley.routes";
    /** Room JID → member UUID of the node hosting the room. */
    static final String ROOMS = "parley.rooms";
    /** Full JIDs whose session ended, told to every node (its rooms let them leave). */
    static final String DEPARTURES = "parley.departures";
    /** Prefix of each node's own delivery topic, followed by its member UUID. */
    static final String NODE_TOPIC = "parley.node.";
    /** Split-brain protection of the room-host map (cluster.min-members). */
    static final String QUORUM = "parley-quorum";

    private ClusterEngine() {
    }

    /** The Hazelcast configuration for these settings. */
    public static Config config(ClusterSettings s) {
        Config config = new Config();
        config.setClusterName(s.name());
        config.setInstanceName("parley-" + s.name() + "-" + s.bindAddress() + "-" + s.port());
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.phone.home.enabled", "false");
        // Parley closes its member itself, after its streams (ParleyServer.close).
        config.setProperty("hazelcast.shutdownhook.enabled", "false");
        config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        config.setProperty("hazelcast.max.no.heartbeat.seconds", Long.toString(s.failureTimeout().toSeconds()));
        config.setProperty("hazelcast.wait.seconds.before.join", "1");
        config.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
        config.setProperty("hazelcast.merge.next.run.delay.seconds", "5");
        // Routes change at every login: near caches are invalidated at once, not in 10 s batches.
        config.setProperty("hazelcast.map.invalidation.batch.enabled", "false");
        // Hazelcast's own operation threads; the defaults (one per core, at least 2) suit a small server.
        config.setProperty("hazelcast.socket.bind.any", "false");
        config.getJetConfig().setEnabled(false);
        config.getMetricsConfig().setEnabled(false);

        NetworkConfig network = config.getNetworkConfig();
        network.setPort(s.port()).setPortAutoIncrement(false);
        network.getInterfaces().setEnabled(true).addInterface(s.bindAddress());
        config.setProperty("hazelcast.local.localAddress", s.bindAddress());
        if (s.publicAddress() != null) {
            network.setPublicAddress(s.publicAddress());
        }
        // Member-to-member connections leave from the bind address too, so one firewall rule (or a relay)
        // for the cluster interface sees both directions of a link.
        config.setProperty("hazelcast.socket.client.bind.any", "false");
        JoinConfig join = network.getJoin();
        join.getAutoDetectionConfig().setEnabled(false);
        join.getMulticastConfig().setEnabled(false);
        switch (s.discovery()) {
            case "multicast" -> join.getMulticastConfig().setEnabled(true);
            case "kubernetes" -> {
                var kubernetes = join.getKubernetesConfig().setEnabled(true);
                if (s.kubernetesService() != null) {
                    kubernetes.setProperty("service-name", s.kubernetesService());
                }
            }
            default -> join.getTcpIpConfig().setEnabled(true).setMembers(s.members()).setConnectionTimeoutSeconds(2);
        }

        MapConfig routes = new MapConfig(ROUTES).setBackupCount(1).setStatisticsEnabled(false);
        // Every delivery reads the recipient's routes: read them from a local copy kept current by invalidation.
        routes.setNearCacheConfig(new NearCacheConfig(ROUTES).setInMemoryFormat(InMemoryFormat.OBJECT)
                .setInvalidateOnChange(true).setCacheLocalEntries(true));
        config.addMapConfig(routes);
        MapConfig rooms = new MapConfig(ROOMS).setBackupCount(1).setStatisticsEnabled(false);
        rooms.setNearCacheConfig(new NearCacheConfig(ROOMS).setInMemoryFormat(InMemoryFormat.OBJECT)
                .setInvalidateOnChange(true).setCacheLocalEntries(true));
        if (s.minMembers() > 0) {
            // Split-brain protection: a side smaller than min-members cannot claim rooms, so no room has two hosts.
            config.addSplitBrainProtectionConfig(new SplitBrainProtectionConfig(QUORUM, true, s.minMembers()));
            rooms.setSplitBrainProtectionName(QUORUM);
        }
        config.addMapConfig(rooms);
        // The nodes' delivery topics carry every forwarded stanza: no statistics counters updated per message.
        config.addTopicConfig(new TopicConfig(NODE_TOPIC + "*").setStatisticsEnabled(false));
        return config;
    }

    /** Starts the member; returns once it has joined (or formed) the cluster. */
    public static HazelcastInstance start(ClusterSettings s) {
        // Hazelcast logs a few lines before it reads the configuration; those go through SLF4J as well.
        if (System.getProperty("hazelcast.logging.type") == null) {
            System.setProperty("hazelcast.logging.type", "slf4j");
        }
        return Hazelcast.newHazelcastInstance(config(s));
    }
}
