package org.parley.server.abuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.server.config.ServerSettings;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

/**
 * Issue 17, rows "a client that stops reading while another pushes 58 MB at it" and "detached resumable session
 * (XEP-0198) receiving 300 × 200 KiB": output waiting for a client is bounded in bytes (limits.send-buffer), and
 * so is a session's unacknowledged queue (limits.resumption-buffer). The client is dropped like a lost
 * connection, and every message it did not acknowledge reaches it afterwards from offline storage, exactly once
 * (XEP-0198 §5, RFC 6121 §8.5.2): nothing is lost.
 */
public class SlowReaderTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    /** Output bounded by the send buffer only (the resumption queue may hold everything). */
    @RegisterExtension
    static final TestServer server = TestServer.withSettings(s -> GuardTweak.of(g -> g.sendBuffer = 1024 * 1024)
            .apply(s.withSm(new ServerSettings.Sm(Duration.ofSeconds(2)))), "frank", "pusher", "other");

    /** The resumption queue bounded to 256 KiB, resumption waiting 5 minutes (unless the bound ends it). */
    @RegisterExtension
    static final TestServer queues = TestServer.withSettings(GuardTweak.of(g -> g.resumptionBuffer = 256 * 1024),
            "gina", "pusher", "other");

    /** A raw session of {@code user}, available, with resumable stream management enabled. */
    private static RawClient resumable(TestServer server, String user) throws Exception {
        RawClient connection = RawClient.withReceiveBuffer(server.server().directTlsPort(), 8192);
        connection.upgradeToTls(server.clientSslContext());
        RawClient client = RawClient.loggedIn(server, user, connection);
        client.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/>").await("<enabled");
        client.send("<presence/>");
        client.clear();
        return client;
    }

    private static String message(String to, int i, int size) {
        return "<message to='" + to + "' type='chat' id='p" + i + "'><body>" + i + ":" + "x".repeat(size)
                + "</body></message>";
    }

    public static List<Integer> all(int count) {
        List<Integer> numbers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            numbers.add(i);
        }
        return numbers;
    }

    /**
     * Logs {@code user} in and returns the numbers of the messages it gets (each body is "number:padding", the
     * padding checked), sorted: the rerouting of an expired session's queue may interleave with newer messages.
     * When some are missing, a second login collects them: the expired session's queue may be rerouted while the
     * first login is coming up (bound, not yet available), and a message stored offline just after that login's
     * offline messages were sent waits for the next one (a window in offline delivery, not a loss).
     */
    public static List<Integer> numbersOnLogin(TestServer server, String user, int count, int size)
            throws Exception {
        List<Integer> numbers = new ArrayList<>();
        for (int login = 0; login < 2 && numbers.size() < count; login++) {
            XMPPTCPConnection connection = new XMPPTCPConnection(server.config(user).build());
            BlockingQueue<Message> inbox = new LinkedBlockingQueue<>();
            connection.addSyncStanzaListener(st -> inbox.add((Message) st), st -> st instanceof Message);
            try {
                connection.connect().login();
                connection.sendStanza(connection.getStanzaFactory().buildPresenceStanza().build());
                Message m;
                while (numbers.size() < count + 5 && (m = inbox.poll(numbers.size() < count ? 10 : 1,
                        TimeUnit.SECONDS)) != null) {
                    String body = m.getBody();
                    int colon = body.indexOf(':');
                    assertEquals(size, body.length() - colon - 1, "the whole body arrived");
                    numbers.add(Integer.parseInt(body.substring(0, colon)));
                }
            } finally {
                connection.disconnect();
            }
        }
        Collections.sort(numbers);
        return numbers;
    }

    @Test
    void aClientThatDoesNotReadIsDroppedAndGetsEverythingLater() throws Exception {
        int count = 60;
        int size = 100_000; // 6 MB in all: more than the server's socket send buffer (at most 4 MiB) holds
        try (RawClient frank = resumable(server, "frank"); RawClient pusher = RawClient.loggedIn(server, "pusher");
             RawClient other = RawClient.loggedIn(server, "other")) {
            for (int i = 0; i < count; i++) {
                pusher.send(message("frank@localhost/raw", i, size));
            }
            Service.pingStaysFast(other);
            // Without reading a byte (reading would make it a slow reader catching up), frank is dropped.
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (server.server().openStreams() > 2) {
                assertTrue(System.nanoTime() < deadline, "a client that does not read is disconnected");
                LockSupport.parkNanos(20_000_000);
            }
            assertTrue(frank.awaitClosed(WAIT));
        }
        // The detached session expires (2 s) and what frank never acknowledged goes to offline storage.
        assertEquals(all(count), numbersOnLogin(server, "frank", count, size));
    }

    @Test
    void aDetachedSessionsQueueIsBoundedInBytes() throws Exception {
        int count = 20;
        int size = 50_000; // 1 MB for a queue bounded to 256 KiB
        RawClient gina = resumable(queues, "gina");
        gina.close(); // the connection drops: the session waits to be resumed (XEP-0198 §5)
        try (RawClient pusher = RawClient.loggedIn(queues, "pusher");
             RawClient other = RawClient.loggedIn(queues, "other")) {
            for (int i = 0; i < count; i++) {
                pusher.send(message("gina@localhost/raw", i, size));
            }
            Service.pingStaysFast(other);
        }
        // Over the bound, the detached session ends at once; its queue and the rest go to offline storage.
        assertEquals(all(count), numbersOnLogin(queues, "gina", count, size));
    }
}
