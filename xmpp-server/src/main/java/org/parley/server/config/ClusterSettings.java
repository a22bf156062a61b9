package org.parley.server.config;

import java.time.Duration;
import java.util.List;

/**
 * Cluster mode (issue 19): several Parley nodes serving one domain over one PostgreSQL database, joined by
 * an embedded Hazelcast member each. Off by default; a single node needs none of it.
 *
 * @param enabled        whether this server joins a cluster
 * @param name           the cluster's name: members with another name never join (several clusters on one network)
 * @param bindAddress    the address the member listens on and announces to the others
 * @param port           the member's TCP port (5701 by default)
 * @param members        {@code host:port} of the other members to contact at start (TCP-IP join); this node's
 *                       own address may be listed too, so one list serves every node
 * @param discovery      {@code tcp-ip} (the list above), {@code multicast} (a LAN) or {@code kubernetes}
 *                       (the pods of the service named by {@code kubernetesService}, in the pod's namespace)
 * @param kubernetesService the Kubernetes service whose pods are the members (discovery = kubernetes)
 * @param failureTimeout how long a member may stay silent before the others treat it as lost
 * @param minMembers     split-brain protection: a side of the cluster with fewer members hosts no chat rooms
 *                       (0 turns it off; the majority of the planned size is the sensible value)
 * @param publicAddress  {@code host:port} the other members reach this one at, when that is not the bind address
 *                       and port (NAT, containers, a relay); null: the bind address and port
 */
public record ClusterSettings(boolean enabled, String name, String bindAddress, int port, List<String> members,
                              String discovery, String kubernetesService, Duration failureTimeout, int minMembers,
                              String publicAddress) {

    public static final ClusterSettings OFF = new ClusterSettings(false, "parley", "127.0.0.1", 5701, List.of(),
            "tcp-ip", null, Duration.ofSeconds(10), 0);

    public ClusterSettings {
        members = List.copyOf(members);
    }

    /** Without a public address: the other members reach this one at its bind address and port. */
    public ClusterSettings(boolean enabled, String name, String bindAddress, int port, List<String> members,
                           String discovery, String kubernetesService, Duration failureTimeout, int minMembers) {
        this(enabled, name, bindAddress, port, members, discovery, kubernetesService, failureTimeout, minMembers, null);
    }

    /**
     * Cluster mode needs the shared PostgreSQL database: checked when the settings load and again when a server
     * is started with these settings in code, with the same one-line message.
     *
     * @throws SettingsException when {@code jdbcUrl} is not a PostgreSQL URL (the embedded database)
     */
    public static void requireSharedDatabase(String jdbcUrl) {
        if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new SettingsException("cluster.enabled: cluster mode needs the shared PostgreSQL database"
                    + " (storage.jdbc-url = jdbc:postgresql://...); the embedded database belongs to one node");
        }
    }

    /** A member of a TCP-IP cluster on loopback (tests and one-machine trials). */
    public static ClusterSettings loopback(String name, int port, List<String> members, Duration failureTimeout,
                                           int minMembers) {
        return new ClusterSettings(true, name, "127.0.0.1", port, members, "tcp-ip", null, failureTimeout, minMembers);
    }
}
