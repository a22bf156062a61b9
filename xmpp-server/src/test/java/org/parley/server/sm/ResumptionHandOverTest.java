package org.parley.server.sm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.server.storage.OfflineStore;
import org.parley.server.storage.Storage;
import org.parley.server.testing.ForwardingStorage;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.StoreGate;
import org.parley.server.testing.TestServer;

/**
 * XEP-0198 §5 when the client resumes while its old stream is still handling one of its stanzas (the old
 * connection not yet known dead, a worker in the middle of that stanza): the {@code h} of {@code <resumed/>} must
 * say whether that stanza was handled. Counted too late, it is one short, and the client, following §5, sends
 * the stanza again: delivered twice (the duplicate available presence seen after a resumption in issue 19).
 * The old stream is held in the middle of a stanza deterministically: its message goes to offline storage,
 * which is written before the stream moves on, and the store waits at a gate.
 */
class ResumptionHandOverTest {

    @TempDir
    Path data;

    /** Writes to the offline store wait here while the test holds them. */
    private final StoreGate gate = new StoreGate("offline store");
    private TestServer server;
    private Storage storage;

    @BeforeEach
    void start() throws Exception {
        server = TestServer.start(data, s -> s, GatedOffline::new);
        server.createUser("romeo");
        server.createUser("juliet");
    }

    @AfterEach
    void stop() {
        gate.open();
        server.close();
    }

    @Test
    void xep0198_5_theResumedCountIncludesTheStanzaTheOldStreamWasHandling() throws Exception {
        RawClient romeo = RawClient.loggedIn(server, "romeo");
        try {
            String enabled = romeo.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/>").await("<enabled")
                    .replace('"', '\'');
            enabled = enabled.substring(enabled.indexOf(" id='") + 5);
            String id = enabled.substring(0, enabled.indexOf('\''));

            gate.close();
            // juliet has no session: the message goes to offline storage, on romeo's stream, which is held there.
            romeo.send("<message to='juliet@localhost' type='chat' id='m1'><body>once</body></message>");
            assertTrue(gate.awaitEntered(30, TimeUnit.SECONDS), "the old stream is in the middle of the message");

            // The client comes back on a new connection before the server noticed the old one is gone (§5
            // allows it); it received nothing on the old stream since <enabled/>, so h is 0.
            try (RawClient again = RawClient.directTls(server.server().directTlsPort(), server.clientSslContext())) {
                again.openStream().await("</stream:features>");
                String plain = Base64.getEncoder().encodeToString(("\0romeo\0" + TestServer.PASSWORD)
                        .getBytes(StandardCharsets.UTF_8));
                again.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + plain + "</auth>")
                        .await("<success");
                again.clear();
                again.openStream().await("</stream:features>");
                again.clear();
                again.send("<resume xmlns='urn:xmpp:sm:3' previd='" + id + "' h='0'/>");
                // Until the server either answers (while the message is still being handled, the answer cannot
                // count it) or waits for the old stream to finish that stanza.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!again.received().contains("<resumed") && !resumeWaitsForOldStream()) {
                    assertTrue(System.nanoTime() < deadline, "the <resume/> was neither answered nor handled");
                    try {
                        again.await("<resumed", Duration.ofMillis(20));
                    } catch (AssertionError notYet) {
                        // poll again
                    }
                }
                assertFalse(again.received().contains("<resumed"),
                        "<resumed/> sent while the old stream was still handling the message: " + again.received());

                gate.open();
                String resumed = again.await("</resumed>", Duration.ofSeconds(30)).replace('"', '\'');
                assertTrue(resumed.contains("<resumed") && resumed.contains("h='1'"),
                        "§5: the message the old stream handled is counted, so the client does not send it again: "
                                + resumed);
            }
            assertEquals(1, storage.offline().count("juliet"), "stored once");
        } finally {
            romeo.close();
        }
    }

    /**
     * §5 under traffic: messages keep coming while the client resumes again and again (each time from a connection
     * the server does not know is gone), with an exact {@code h}: each arrives once, in order.
     */
    @Test
    void xep0198_5_messagesArrivingDuringResumptionsArriveOnceInOrder() throws Exception {
        RawClient juliet = RawClient.loggedIn(server, "juliet");
        RawClient romeo = RawClient.loggedIn(server, "romeo");
        List<Integer> seen = new java.util.ArrayList<>();
        java.util.concurrent.atomic.AtomicBoolean resuming = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
        try {
            String enabled = romeo.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/>").await("<enabled")
                    .replace('"', '\'');
            enabled = enabled.substring(enabled.indexOf(" id='") + 5);
            String id = enabled.substring(0, enabled.indexOf('\''));
            romeo.clear();
            Thread sender = new Thread(() -> {
                try {
                    // Until the resumptions are done, at juliet's sustained stanza rate (100 a second).
                    for (int i = 1; resuming.get() && i <= 5000; i++) {
                        juliet.send("<message to='romeo@localhost/raw' type='chat'><body>m" + i + "</body></message>");
                        sent.set(i);
                        Thread.sleep(10);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "juliet-sender");
            sender.start();
            long h = 0;
            String skip = "";
            for (int round = 0; round < 8; round++) {
                readFor(romeo, Duration.ofMillis(30));
                h += complete(romeo.received(), skip, seen);
                RawClient again = RawClient.directTls(server.server().directTlsPort(), server.clientSslContext());
                again.openStream().await("</stream:features>");
                String plain = Base64.getEncoder().encodeToString(("\0romeo\0" + TestServer.PASSWORD)
                        .getBytes(StandardCharsets.UTF_8));
                again.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + plain + "</auth>")
                        .await("<success");
                again.clear();
                again.openStream().await("</stream:features>");
                again.clear();
                again.send("<resume xmlns='urn:xmpp:sm:3' previd='" + id + "' h='" + h + "'/>").await("</resumed>");
                romeo.close(); // the client left it; nothing more from it counts
                romeo = again;
                skip = "</resumed>";
            }
            resuming.set(false);
            sender.join(30_000);
            int count = sent.get();
            assertTrue(count > 0 && !sender.isAlive(), "juliet sent");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            List<Integer> last = new java.util.ArrayList<>();
            while (seen.size() + last.size() < count && System.nanoTime() < deadline) {
                readFor(romeo, Duration.ofMillis(50));
                last.clear();
                complete(romeo.received(), skip, last);
            }
            seen.addAll(last);
        } finally {
            resuming.set(false);
            romeo.close();
            juliet.close();
        }
        List<Integer> expected = java.util.stream.IntStream.rangeClosed(1, sent.get()).boxed().toList();
        assertEquals(expected, seen, "§5: every message once, in order");
    }

    /** Reads whatever arrives for {@code time}. */
    private static void readFor(RawClient client, Duration time) throws java.io.IOException {
        try {
            client.await("\u0000never", time);
        } catch (AssertionError expected) {
            // what came is in received()
        }
    }

    /** Adds the numbers of the complete messages after {@code skip} to {@code into}; returns how many stanzas. */
    private static int complete(String received, String skip, List<Integer> into) {
        String rest = skip.isEmpty() ? received : received.substring(received.indexOf(skip) + skip.length());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<message[^>]*>(.*?)</message>", java.util.regex.Pattern.DOTALL)
                .matcher(rest);
        int stanzas = 0;
        while (m.find()) {
            stanzas++;
            java.util.regex.Matcher body = java.util.regex.Pattern.compile("<body>m(\\d+)</body>").matcher(m.group(1));
            if (body.find()) {
                into.add(Integer.parseInt(body.group(1)));
            }
        }
        return stanzas;
    }

    /** A worker is inside the resumption, waiting for the old stream to finish the stanza it is handling. */
    private static boolean resumeWaitsForOldStream() {
        for (ThreadInfo thread : ManagementFactory.getThreadMXBean().dumpAllThreads(false, false)) {
            if (thread.getThreadState() == Thread.State.BLOCKED || thread.getThreadState() == Thread.State.WAITING
                    || thread.getThreadState() == Thread.State.TIMED_WAITING) {
                for (StackTraceElement frame : thread.getStackTrace()) {
                    if (frame.getClassName().equals(StreamManagementProtocol.class.getName())
                            && frame.getMethodName().equals("resume")) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** The real storage; offline writes wait at {@link #gate}. */
    private final class GatedOffline extends ForwardingStorage {
        private final OfflineStore offline;

        GatedOffline(Storage real) {
            super(real);
            storage = real;
            OfflineStore store = real.offline();
            this.offline = new OfflineStore() {
                @Override
                public boolean store(String username, String stanzaXml, int maxPerUser) {
                    gate.hold();
                    return store.store(username, stanzaXml, maxPerUser);
                }

                @Override
                public List<String> drain(String username) {
                    return store.drain(username);
                }

                @Override
                public int count(String username) {
                    return store.count(username);
                }

                @Override
                public long countAll() {
                    return store.countAll();
                }
            };
        }

        @Override
        public OfflineStore offline() {
            return offline;
        }
    }
}
