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
            List<String> ours = Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                    .filter(n -> n.startsWith("parley-")).sorted().toList();
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
}
