package org.parley.server.abuse;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

/**
 * Issue 17, per-session traffic shaping of incoming bytes (limits.read-rate, XEP-0205 §4.7): an authenticated TCP
 * client sending as fast as it can is read at the configured rate — measured where its stanzas come out, at the
 * recipient, over the whole transfer less the bucket's first second's burst — and another user's ping stays fast
 * meanwhile. Nothing is lost: shaping only slows the sender down.
 */
class ReadRateTest {

    private static final int RATE = 64 * 1024;
    private static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    static final TestServer server = TestServer.withSettings(GuardTweak.of(g -> g.readRate = RATE),
            "sender", "receiver", "other");

    @Test
    void aFastSenderIsReadAtTheConfiguredRateAndOthersAreServed() throws Exception {
        int count = 96; // 780 KB: about 11 s at the rate, so the edges of the window hardly count
        String padding = "x".repeat(8000);
        try (RawClient sender = RawClient.loggedIn(server, "sender");
             RawClient receiver = RawClient.loggedIn(server, "receiver");
             RawClient other = RawClient.loggedIn(server, "other")) {
            String[] stanzas = new String[count];
            long total = 0;
            for (int i = 0; i < count; i++) {
                stanzas[i] = "<message to='receiver@localhost/raw' type='chat' id='m" + i + "'><body>" + i + ":"
                        + padding + "</body></message>";
                total += stanzas[i].getBytes(StandardCharsets.UTF_8).length;
            }
            long started = System.nanoTime();
            CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> {
                try {
                    for (String s : stanzas) {
                        sender.send(s); // as fast as the sockets take it
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            receiver.await("id=\"m" + (count / 4) + "\"", WAIT);
            Service.pingStaysFast(other); // while the sender is being shaped
            receiver.await("id=\"m" + (count - 1) + "\"", WAIT);
            long finished = System.nanoTime();
            sending.get(10, TimeUnit.SECONDS);

            // Measured over the whole transfer, from the first byte sent to the last stanza out, less the burst
            // the bucket allows at once (a second's worth): a delivery hiccup of the loaded test machine can only
            // make it slower, never faster. At most the rate, with 15 % for the timer's granularity.
            double seconds = (finished - started) / 1e9;
            double measured = (total - RATE) / seconds;
            assertTrue(measured <= RATE * 1.15, String.format("read at %.0f B/s (%d bytes in %.1f s), limit %d B/s",
                    measured, total, seconds, RATE));
            for (int i = 0; i < count; i++) {
                assertTrue(receiver.received().contains("id=\"m" + i + "\""), "message " + i + " arrived");
            }
        }
    }
}
