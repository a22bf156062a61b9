package org.parley.server.abuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.server.guard.AuthThrottle;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * Issue 17, row "500 wrong passwords from one IP": failures are delayed more and more, then the address is
 * banned (like ejabberd's mod_fail2ban), each failure is logged for fail2ban, the answer is the same whether
 * or not the account exists, and the owner still logs in from elsewhere (delayed, never blocked).
 */
class BruteForceTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    static final TestServer server = TestServer.withSettings(GuardTweak.of(g -> g.authFailuresPerAddress = 5),
            "bob");

    private final ListAppender<ILoggingEvent> log = new ListAppender<>();

    @BeforeEach
    void captureLog() {
        log.start();
        ((Logger) LoggerFactory.getLogger(AuthThrottle.class)).addAppender(log);
    }

    @AfterEach
    void releaseLog() {
        ((Logger) LoggerFactory.getLogger(AuthThrottle.class)).detachAppender(log);
    }

    private static RawClient connect(String from) throws Exception {
        RawClient client = new RawClient(server.server().directTlsPort(), from);
        client.upgradeToTls(server.clientSslContext());
        return client;
    }

    private static String plain(String user, String password) {
        return "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + Base64.getEncoder()
                .encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8)) + "</auth>";
    }

    /** One attempt on an open stream; returns what the server answered. */
    private static String attempt(RawClient client, String user, String password) throws Exception {
        client.clear();
        client.send(plain(user, password));
        return client.await("</failure>", WAIT);
    }

    @Test
    void failuresAreDelayedThenTheAddressIsBannedWhileTheOwnerStillLogsIn() throws Exception {
        String attacker = "127.0.0.2";
        try (RawClient first = connect(attacker)) {
            first.openStream().await("</stream:features>");
            attempt(first, "bob", "guess-1");
            attempt(first, "bob", "guess-2");
            long started = System.nanoTime();
            attempt(first, "bob", "guess-3");
            long third = (System.nanoTime() - started) / 1_000_000;
            assertTrue(third >= 200, "the third failure is delayed; it took " + third + " ms");
            // RFC 6120 §6.4.5: three failures on one stream end it.
            first.await("<policy-violation", WAIT);
        }
        try (RawClient second = connect(attacker)) {
            second.openStream().await("</stream:features>");
            long started = System.nanoTime();
            attempt(second, "bob", "guess-4");
            assertTrue((System.nanoTime() - started) / 1_000_000 >= 400, "the delay grows");
            second.clear();
            second.send(plain("bob", "guess-5"));
            second.await("<policy-violation", WAIT);
            assertTrue(second.received().contains("too many failed authentications"), second.received());
            assertTrue(second.awaitClosed(WAIT));
        }
        // Banned: a new connection from that address is refused at once, even with the right password.
        try (RawClient third = connect(attacker)) {
            third.await("<policy-violation", WAIT);
            assertTrue(third.awaitClosed(WAIT));
        }
        // The owner, elsewhere, gets in: delayed by the account's failures, not blocked.
        try (RawClient owner = connect("127.0.0.1")) {
            owner.openStream().await("</stream:features>");
            owner.send(plain("bob", TestServer.PASSWORD));
            owner.await("<success", WAIT);
        }
        // Each failure was logged at INFO with account and address, in a fail2ban-friendly line.
        List<String> lines = log.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertEquals(5, lines.stream().filter(l -> l.equals("authentication failed for 'bob' from " + attacker)).count(),
                lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("address " + attacker + " banned")), lines.toString());
    }

    @Test
    void aFailureDoesNotRevealWhetherTheAccountExists() throws Exception {
        try (RawClient client = connect("127.0.0.4")) {
            client.openStream().await("</stream:features>");
            String known = attempt(client, "bob", "wrong").replace("bob", "USER");
            String unknown = attempt(client, "nosuchuser", "wrong").replace("nosuchuser", "USER");
            assertEquals(known, unknown);
        }
    }
}
