package org.parley.server.abuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

/**
 * Issue 17, rows "connections trickling one byte every 20 s, never logging in" and "200 unauthenticated
 * connections each holding a partial stanza; 1 500 connections from one IP accepted": the stream header and
 * authentication have deadlines (RFC 6120 §4.9.3.4 connection-timeout), and one address may hold only so many
 * unauthenticated connections and open only so many a minute (XEP-0205 §4.2, §4.3: policy-violation).
 */
class PreAuthLimitsTest {

    private static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    static final TestServer deadlines = TestServer.withSettings(GuardTweak.of(g -> {
        g.headerTimeout = Duration.ofSeconds(1);
        g.authTimeout = Duration.ofSeconds(2);
    }));

    @RegisterExtension
    static final TestServer caps = TestServer.withSettings(GuardTweak.of(g -> g.unauthenticatedPerAddress = 3),
            "alice");

    @RegisterExtension
    static final TestServer rate = TestServer.withSettings(GuardTweak.of(g -> g.connectionsPerAddressPerMinute = 4));

    @Test
    void noStreamHeaderIsClosedAtTheHeaderDeadline() throws Exception {
        try (RawClient client = new RawClient(deadlines.server().c2sPort())) {
            client.send("<"); // a byte, but never a header
            long started = System.nanoTime();
            client.await("<connection-timeout", CLOSE_WAIT);
            assertTrue(client.awaitClosed(CLOSE_WAIT));
            assertTrue((System.nanoTime() - started) / 1_000_000 < 5_000);
        }
    }

    @Test
    void tricklingWithoutAuthenticatingIsClosedAtTheAuthDeadline() throws Exception {
        try (RawClient client = new RawClient(deadlines.server().c2sPort())) {
            client.openStream().await("</stream:features>");
            long started = System.nanoTime();
            // Keeps the connection busy, a byte at a time, as the probe did: activity does not extend the deadline.
            String partial = "<iq type='get' id='slow'><query xmlns='jabber:iq:version'/>";
            int i = 0;
            while (!client.received().contains("<connection-timeout")
                    && System.nanoTime() - started < CLOSE_WAIT.toNanos()) {
                client.send(partial.substring(i % partial.length(), i % partial.length() + 1));
                i++;
                try {
                    client.await("<connection-timeout", Duration.ofMillis(200));
                } catch (AssertionError notYet) {
                    // keep trickling
                }
            }
            assertTrue(client.received().contains("not authenticated within 2 s"), client.received());
            assertTrue(client.awaitClosed(CLOSE_WAIT));
            long millis = (System.nanoTime() - started) / 1_000_000;
            assertTrue(millis >= 1_500 && millis < 6_000, "closed after " + millis + " ms");
        }
    }

    @Test
    void oneAddressHoldsOnlySoManyUnauthenticatedConnections() throws Exception {
        List<RawClient> held = new ArrayList<>();
        try (RawClient alice = RawClient.loggedIn(caps, "alice")) {
            for (int i = 0; i < 3; i++) {
                RawClient c = new RawClient(caps.server().c2sPort());
                held.add(c);
                c.openStream().await("</stream:features>");
            }
            try (RawClient fourth = new RawClient(caps.server().c2sPort())) {
                fourth.await("<policy-violation", CLOSE_WAIT);
                assertTrue(fourth.received().contains("too many unauthenticated connections"), fourth.received());
                assertTrue(fourth.awaitClosed(CLOSE_WAIT));
            }
            // Another address is not affected.
            try (RawClient other = new RawClient(caps.server().c2sPort(), "127.0.0.2")) {
                other.openStream().await("</stream:features>");
            }
            Service.pingStaysFast(alice);
            // A held connection that goes away frees its slot.
            held.remove(0).close();
            long deadline = System.nanoTime() + CLOSE_WAIT.toNanos();
            while (caps.server().guard().gate().unauthenticated("127.0.0.1") > 2) {
                assertTrue(System.nanoTime() < deadline, "the closed connection's slot was not given back");
                Thread.onSpinWait();
            }
            try (RawClient again = new RawClient(caps.server().c2sPort())) {
                again.openStream().await("</stream:features>");
            }
        } finally {
            for (RawClient c : held) {
                c.close();
            }
        }
    }

    @Test
    void authenticatedConnectionsDoNotCountAsUnauthenticated() throws Exception {
        // The cap is 3; five logged-in sessions of one address are fine.
        List<RawClient> sessions = new ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) {
                sessions.add(RawClient.loggedIn(caps, "alice"));
            }
            assertEquals(5, sessions.size());
        } finally {
            for (RawClient c : sessions) {
                c.close();
            }
        }
    }

    @Test
    void oneAddressOpensOnlySoManyConnectionsAMinute() throws Exception {
        for (int i = 0; i < 4; i++) {
            try (RawClient c = new RawClient(rate.server().c2sPort())) {
                c.openStream().await("</stream:features>");
            }
        }
        try (RawClient fifth = new RawClient(rate.server().c2sPort())) {
            fifth.await("<policy-violation", CLOSE_WAIT);
            assertTrue(fifth.received().contains("in the last minute"), fifth.received());
            assertTrue(fifth.awaitClosed(CLOSE_WAIT));
        }
        try (RawClient other = new RawClient(rate.server().c2sPort(), "127.0.0.3")) {
            other.openStream().await("</stream:features>");
        }
    }
}
