package org.parley.client.core;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

import org.parley.server.testing.TestServer;

/** Test helpers: clients for a {@link TestServer} that pin its certificate, and waiting on events. */
public final class Clients {

    public static final Duration TIMEOUT = Duration.ofSeconds(15);

    private Clients() {
    }

    public static ClientSettings settings(TestServer server, String user) {
        return ClientSettings.of(user, TestServer.DOMAIN).withHost("127.0.0.1", server.server().c2sPort())
                .withReconnectDelay(1);
    }

    /** A client whose trust pins exactly this server's certificate (in memory). */
    public static ParleyClient client(TestServer server, String user) {
        CertificateTrust trust = CertificateTrust.inMemory();
        trust.trust(TestServer.DOMAIN, server.server().certificateFingerprint());
        return new ParleyClient(settings(server, user), trust);
    }

    public static ParleyClient login(TestServer server, String user) throws Exception {
        ParleyClient client = client(server, user);
        client.login(TestServer.PASSWORD);
        return client;
    }

    /** Takes events from {@code queue} until one matches; fails after {@link #TIMEOUT}. */
    public static <T> T next(BlockingQueue<T> queue, Predicate<? super T> matching, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            T event = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : null;
            if (event == null) {
                return fail("timed out waiting for " + what);
            }
            if (matching.test(event)) {
                return event;
            }
        }
    }

    /**
     * Re-checks {@code condition} each time something arrives on {@code events} (which the test's listeners
     * feed) until it holds; fails after {@link #TIMEOUT}.
     */
    public static void until(BlockingQueue<?> events, BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || events.poll(left, TimeUnit.NANOSECONDS) == null) {
                if (condition.getAsBoolean()) {
                    return;
                }
                fail("timed out waiting for " + what);
            }
        }
    }

    public static <T> BlockingQueue<T> queue() {
        return new LinkedBlockingQueue<>();
    }
}
