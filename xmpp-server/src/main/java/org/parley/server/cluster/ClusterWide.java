package org.parley.server.cluster;

import com.hazelcast.core.HazelcastInstance;
import org.parley.server.guard.AuthThrottle;
import org.parley.server.im.Registration;
import org.parley.server.upload.HttpUploads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a node shares with the cluster beyond routes and rooms (issue 19), switched on when it joins: the
 * brute-force throttle and the registration throttle count on every node ({@link SharedThrottles}), and the
 * upload slot key is one for all ({@link SharedSecrets}). A server running alone keeps its local
 * implementations; nothing here is created then.
 */
public final class ClusterWide {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterWide.class);
    /** The name of the upload slot key in {@link SharedSecrets}. */
    static final String UPLOAD_KEY = "upload.slot-key";

    private ClusterWide() {
    }

    /** Shares the throttles and (when uploads are on) the slot key; call before clients connect. */
    public static void install(HazelcastInstance hz, AuthThrottle auth, Registration registration, HttpUploads uploads) {
        SharedThrottles throttles = new SharedThrottles(hz, auth.window());
        auth.share(throttles);
        registration.share(throttles);
        if (uploads != null) {
            uploads.shareKey(new SharedSecrets(hz).shared(UPLOAD_KEY, uploads.localKey()));
        }
        LOG.info("cluster: authentication and registration throttles{} are cluster-wide",
                uploads == null ? "" : " and the upload slot key");
    }

    /** The admin commands' view of the other nodes; {@code local} answers their requests here. */
    public static org.parley.server.admin.OtherNodes administration(ParleyCluster cluster,
                                                                    org.parley.server.admin.OtherNodes.Local local) {
        ClusterAdministration admin = new ClusterAdministration(cluster.hazelcast(), cluster, local);
        admin.start();
        return admin;
    }
}
