package org.parley.gateway.abuse;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.gateway.testing.RawBosh;
import org.parley.gateway.testing.RawWebSocket;
import org.parley.gateway.testing.TestGateway;
import org.parley.server.abuse.GuardTweak;

/**
 * Issue 17 over the web transports: row "10 MiB WebSocket frame before login: refused, but the whole frame is
 * read and discarded" (now the connection is closed at once), and the per-address cap on unauthenticated
 * connections counting WebSocket and BOSH together with TCP (XEP-0205 §4.3).
 */
class GatewayAbuseTest {

    @RegisterExtension
    static final TestGateway gateway = TestGateway.withSettings(GuardTweak.of(g -> g.unauthenticatedPerAddress = 2),
            "alice");

    @Test
    void aHugeWebSocketMessageBeforeLoginClosesTheConnectionAtOnce() throws Exception {
        try (RawWebSocket ws = RawWebSocket.connect(gateway.webSocketUri())) {
            ws.send(RawWebSocket.OPEN);
            ws.awaitMessage("</stream:features>");
            long started = System.nanoTime();
            // Not waited for: the server stops reading after the first 16 KiB (limits.pre-auth-stanza-size).
            var sending = ws.socket().sendText("<message>" + "x".repeat(10 * 1024 * 1024) + "</message>", true);
            assertTrue(ws.awaitMessage("<stream:error").contains("<policy-violation"));
            assertTrue(ws.awaitClosed(), "closed, not drained");
            // Not read to its end: more than the socket buffers hold was never taken, so the send never completed.
            assertTrue(!sending.isDone() || sending.isCompletedExceptionally(), "the server read the whole 10 MiB");
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            assertTrue(millis < 5_000, "closed after " + millis + " ms");
        }
    }

    @Test
    void unauthenticatedWebConnectionsCountPerAddress() throws Exception {
        try (RawWebSocket first = RawWebSocket.connect(gateway.webSocketUri())) {
            first.send(RawWebSocket.OPEN);
            first.awaitMessage("</stream:features>");
            RawBosh bosh = new RawBosh(gateway.boshUri());
            bosh.create(10, 1, "");
            try (RawWebSocket third = RawWebSocket.connect(gateway.webSocketUri())) {
                assertTrue(third.awaitMessage("<stream:error").contains("<policy-violation"));
                assertTrue(third.awaitClosed());
            }
            // A WebSocket that goes away gives its slot back.
            {
                first.close();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (gateway.server().server().guard().gate().unauthenticated("127.0.0.1") > 1) {
                    assertTrue(System.nanoTime() < deadline, "the closed WebSocket's slot was not given back");
                    Thread.onSpinWait();
                }
            }
        }
    }
}
