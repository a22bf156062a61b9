package org.parley.app;

import java.nio.file.Path;
import java.security.cert.X509Certificate;

import org.parley.gateway.WebGateway;
import org.parley.server.ParleyServer;
import org.parley.server.config.ServerSettings;

/**
 * What {@code parley run} needs from a running server. An interface rather than {@link ParleyServer}
 * itself so that the command's output, shutdown and error handling can be tested without binding ports.
 */
public interface ServerHandle extends AutoCloseable {

    String domain();

    int c2sPort();

    /** -1 when Direct TLS is disabled. */
    int directTlsPort();

    Path dataDirectory();

    X509Certificate certificate();

    /** Bound web gateway HTTP port (BOSH, WebSocket, discovery); -1 when off. */
    default int httpPort() {
        return -1;
    }

    /** Bound web gateway HTTPS port; -1 when off. */
    default int httpsPort() {
        return -1;
    }

    /** Stops the server; idempotent. */
    @Override
    void close();

    /** Starts a server from settings. */
    @FunctionalInterface
    interface Launcher {
        ServerHandle start(ServerSettings settings) throws Exception;

        /** Starts a node of a cluster (issue 19) when {@code cluster} is enabled; a launcher that cannot refuses. */
        default ServerHandle start(ServerSettings settings, org.parley.server.config.ClusterSettings cluster)
                throws Exception {
            if (cluster.enabled()) {
                throw new IllegalStateException("cluster.enabled: this launcher starts single servers only");
            }
            return start(settings);
        }
    }

    /** The real launcher, single server or cluster node. */
    Launcher REAL = new Launcher() {
        @Override
        public ServerHandle start(ServerSettings settings) throws Exception {
            return ServerHandle.start(settings);
        }

        @Override
        public ServerHandle start(ServerSettings settings, org.parley.server.config.ClusterSettings cluster)
                throws Exception {
            return ServerHandle.start(settings, cluster);
        }
    };

    /** The real launcher: {@link ParleyServer#start(ServerSettings)} and the {@link WebGateway} beside it. */
    static ServerHandle start(ServerSettings settings) throws Exception {
        return start(settings, org.parley.server.config.ClusterSettings.OFF);
    }

    /** The same, as a node of a cluster when {@code cluster} is enabled. */
    static ServerHandle start(ServerSettings settings, org.parley.server.config.ClusterSettings cluster)
            throws Exception {
        ParleyServer server = ParleyServer.start(settings, cluster);
        WebGateway gateway;
        try {
            gateway = WebGateway.start(server, settings);
        } catch (Exception | Error e) {
            server.close();
            throw e;
        }
        return new ServerHandle() {
            @Override
            public String domain() {
                return server.domain();
            }

            @Override
            public int c2sPort() {
                return server.c2sPort();
            }

            @Override
            public int directTlsPort() {
                return server.directTlsPort();
            }

            @Override
            public Path dataDirectory() {
                return server.dataDirectory();
            }

            @Override
            public X509Certificate certificate() {
                return server.certificate();
            }

            @Override
            public int httpPort() {
                return gateway.httpPort();
            }

            @Override
            public int httpsPort() {
                return gateway.httpsPort();
            }

            @Override
            public void close() {
                // The server first: its shutdown reaches web clients through the still-running gateway.
                server.close();
                gateway.close();
            }
        };
    }
}
