package org.parley.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.gateway.testing.RawWebSocket;
import org.parley.gateway.testing.TestGateway;

/**
 * Threads in proportion to the cores (issue 18): the server and the gateway together, after a burst of
 * concurrent WebSocket streams, run at most a fixed number of threads per core plus a constant — no pool grows
 * with the number of sessions (Jetty's used to be allowed 200 threads).
 */
class ThreadCountTest {

    @RegisterExtension
    static final TestGateway GATEWAY = TestGateway.withUsers();

    private static final int SESSIONS = 60;

    @Test
    void serverAndGatewayThreads_boundedByCores_afterABurstOfSessions() throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        assertEquals(WebGateway.maxHttpThreads(cores), GATEWAY.gateway().maxHttpThreads());
        assertTrue(GATEWAY.gateway().maxHttpThreads() <= Math.max(16, 8 * cores));

        // At idle (no session yet; the worker pool starts its threads on demand): Netty's I/O loops (one per core,
        // at least two), Jetty's acceptor and selector share, and a fixed handful — accept loop, Jetty's timer,
        // the archive writer, the storage pool's housekeeper. A started `./parley` runs about 30 threads in all
        // at idle on 2 cores, JVM threads included (docs/benchmarks/README.md, issue 18).
        List<String> idle = ours();
        int idleBound = 2 * cores + 8;
        assertTrue(idle.size() <= idleBound, idle.size() + " threads at idle > " + idleBound + " on " + cores
                + " cores: " + idle);

        List<CompletableFuture<RawWebSocket>> opening = new ArrayList<>();
        for (int i = 0; i < SESSIONS; i++) {
            opening.add(RawWebSocket.connect(GATEWAY.webSocketUri(), null, null, "xmpp"));
        }
        List<RawWebSocket> sockets = new ArrayList<>();
        try {
            for (CompletableFuture<RawWebSocket> f : opening) {
                sockets.add(f.get(30, TimeUnit.SECONDS));
            }
            for (RawWebSocket ws : sockets) {
                ws.send(RawWebSocket.OPEN);
            }
            for (RawWebSocket ws : sockets) {
                ws.awaitMessage("features");
            }
            assertEquals(SESSIONS, GATEWAY.gateway().webSockets());
            List<String> ours = ours();
            // Per core: Netty's I/O loop, two workers, Jetty's share; the constant: accept loop, timers,
            // housekeeping, archive writer, guard and storage threads.
            int bound = 12 * cores + 16;
            assertTrue(ours.size() <= bound, ours.size() + " threads > " + bound + " on " + cores + " cores: " + ours);
        } finally {
            for (RawWebSocket ws : sockets) {
                ws.close();
            }
        }
    }

    private static List<String> ours() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> n.startsWith("parley-")).sorted().toList();
    }
}
