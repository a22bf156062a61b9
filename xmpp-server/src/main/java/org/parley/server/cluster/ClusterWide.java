package org.parley.server.cluster;

import com.hazelcast.core.HazelcastInstance;
import org.parley.server.blocking.BlockLists;
import org.parley.server.guard.AuthThrottle;
import org.parley.server.register.Registration;
import org.parley.server.upload.HttpUploads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a node shares with the cluster beyond routes and rooms (issue 19), switched on when it joins: the
 * brute-force throttle and the registration throttle count on every node ({@link SharedThrottles}); the
 * upload slot key is one for all ({@link SharedSecrets}); block lists and PEP services cached per node are
 * dropped everywhere when one node changes them ({@link SharedCaches}); carbons and an account's own presence
 * reach its resources on other nodes ({@link SharedCarbons}, {@link SharedOwnPresence}); the admin commands see
 * and act on every node ({@link ClusterAdministration}). A server running alone keeps its local
 * implementations; nothing here is created then.
 */
public final class ClusterWide {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterWide.class);
    /** The name of the upload slot key in {@link SharedSecrets}. */
    static final String UPLOAD_KEY = "upload.slot-key";
    /** The block list cache in {@link SharedCaches}. */
    static final String BLOCK_LISTS = "block-lists";
    /** The PEP services in {@link SharedCaches}. */
    static final String PEP = "pep";

    private ClusterWide() {
    }

    /** Shares the throttles and (when uploads are on) the slot key; call before clients connect. */
    public static void install(HazelcastInstance hz, AuthThrottle auth, Registration registration, HttpUploads uploads,
                               BlockLists blockLists, org.parley.server.pubsub.PepService pep) {
        SharedThrottles throttles = new SharedThrottles(hz, auth.window());
        auth.share(throttles);
        registration.share(throttles);
        if (uploads != null) {
            uploads.shareKey(new SharedSecrets(hz).shared(UPLOAD_KEY, uploads.localKey()));
        }
        // XEP-0191: the relay of the sender's node decides, from its cache; a change made on another node must
        // reach it before the block is confirmed.
        SharedCaches caches = new SharedCaches(hz);
        caches.register(BLOCK_LISTS, blockLists::forget);
        blockLists.onChanged(user -> caches.changed(BLOCK_LISTS, user));
        // PEP (XEP-0163): each node keeps an account's node list in memory; a publish through another node may
        // have created a node (or deleted one), so the others load that account's service again.
        caches.register(PEP, account -> pep.forget(org.apache.vysper.xmpp.addressing.EntityImpl.parseUnchecked(account)));
        pep.addHook(new org.parley.server.pubsub.PepHook() {
            @Override
            public void changed(org.apache.vysper.xmpp.addressing.Entity account, String node) {
                caches.changed(PEP, account.getBareJID().getFullQualifiedName());
            }
        });
        LOG.info("cluster: authentication and registration throttles{} and block list changes are cluster-wide",
                uploads == null ? "" : ", the upload slot key");
    }

    /** XEP-0280 across nodes: copies for an account's resources on other nodes are made there. */
    public static void carbons(ParleyCluster cluster, org.parley.server.carbons.Carbons carbons,
                               java.util.concurrent.Executor workers) {
        new SharedCarbons(cluster, carbons, workers).start();
    }

    /** RFC 6121 §4.2.2: an account's resources on different nodes see each other's presence. */
    public static void ownPresence(ParleyCluster cluster, org.parley.server.routing.SessionRegistry registry,
                                   org.parley.server.routing.LocalRelay relay,
                                   org.apache.vysper.xmpp.state.presence.LatestPresenceCache presences,
                                   org.parley.server.stream.StanzaDispatcher dispatcher,
                                   java.util.concurrent.Executor workers) {
        new SharedOwnPresence(cluster, registry, relay, presences, workers).start(dispatcher);
    }

    /** The admin commands' view of the other nodes; {@code local} answers their requests here. */
    public static org.parley.server.admin.OtherNodes administration(ParleyCluster cluster,
                                                                    org.parley.server.admin.OtherNodes.Local local) {
        ClusterAdministration admin = new ClusterAdministration(cluster.hazelcast(), cluster, local);
        admin.start();
        return admin;
    }
}
