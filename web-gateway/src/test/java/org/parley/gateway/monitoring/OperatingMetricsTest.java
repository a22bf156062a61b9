package org.parley.gateway.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.MessageBuilder;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.httpfileupload.HttpFileUploadManager;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.jxmpp.jid.impl.JidCreate;
import org.parley.gateway.testing.TestGateway;
import org.parley.server.config.ServerSettings;

/**
 * The series of issue 20 beyond sessions and stanzas move with real traffic: deliveries and their latency
 * histogram, archive writes and commits, the offline queue, upload bytes, limit hits; HikariCP's and Netty's
 * meters are exported. One account may hold one session here, so a second login is a limit hit.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatingMetricsTest {

    @RegisterExtension
    static final TestGateway gateway = TestGateway.withSettings(s -> s.withLimits(s.limits().withGuard(oneSession())),
            "alice", "bob", "carol");

    @TempDir
    static Path temp;

    private static ServerSettings.Guard oneSession() {
        ServerSettings.Guard d = ServerSettings.Guard.DEFAULTS;
        return new ServerSettings.Guard(d.headerTimeout(), d.authTimeout(), d.unauthenticatedPerAddress(),
                d.connectionsPerAddressPerMinute(), d.preAuthReadRate(), d.readRate(), d.stanzaRate(), d.stanzaBurst(),
                d.sendBuffer(), d.writeTimeout(), d.resumptionBuffer(), 1, d.authFailuresPerAddress(), d.authBan(),
                d.roomsPerHour(), d.archiveQueriesPerMinute());
    }

    private static Map<String, Double> scrape() throws Exception {
        var response = MonitoringTest.get(gateway, "/metrics", null);
        assertEquals(200, response.statusCode(), response.body());
        return MonitoringTest.parse(response.body());
    }

    private static double value(Map<String, Double> samples, String series) {
        return samples.getOrDefault(series, 0.0);
    }

    /** Scrapes until {@code done} holds (the archive commits off the routing path), for at most 10 s. */
    private static Map<String, Double> scrapeUntil(String what, Predicate<Map<String, Double>> done) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Map<String, Double> samples = scrape();
        while (!done.test(samples)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + "; /metrics has " + samples.keySet().stream()
                        .filter(k -> k.startsWith("parley_")).sorted().toList());
            }
            Thread.sleep(100); // polling a scrape: the commit has no event a test could wait on
            samples = scrape();
        }
        return samples;
    }

    @Test
    @Order(1)
    void aMessageForAnOfflineAccountIsInTheOfflineQueue() throws Exception {
        XMPPTCPConnection alice = gateway.server().login("alice");
        try {
            alice.sendStanza(MessageBuilder.buildMessage().to(JidCreate.entityBareFrom("carol@localhost"))
                    .ofType(Message.Type.chat).setBody("while you were away").build());
            // The gauge counts at most every 30 s and this class scrapes for the first time here, so the first
            // scrape waits for the message to be stored: one before would hold a count of 0 for 30 s.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (gateway.server().server().storage().offline().count("carol") < 1) {
                assertTrue(System.nanoTime() < deadline, "the message for carol was not stored offline");
                Thread.sleep(20); // the store has no event a test could wait on
            }
            scrapeUntil("one message waiting offline", s -> value(s, "parley_offline_messages") >= 1);
        } finally {
            alice.disconnect();
        }
    }

    @Test
    @Order(2)
    void deliveriesAndArchiveWritesFollowAChatMessage() throws Exception {
        Map<String, Double> before = scrape();
        String chat = "parley_delivery_seconds_count{type=\"chat\"}";
        assertTrue(before.containsKey("parley_delivery_seconds_bucket{type=\"chat\",le=\"0.001\"}"),
                "fixed histogram buckets: " + before.keySet().stream().filter(k -> k.startsWith("parley_delivery")).toList());
        XMPPTCPConnection alice = gateway.server().login("alice");
        XMPPTCPConnection bob = gateway.server().login("bob");
        try {
            CompletableFuture<Message> received = new CompletableFuture<>();
            bob.addAsyncStanzaListener(s -> received.complete((Message) s),
                    s -> s instanceof Message m && "measured".equals(m.getBody()));
            alice.sendStanza(MessageBuilder.buildMessage().to(bob.getUser()).ofType(Message.Type.chat)
                    .setBody("measured").build());
            received.get(10, TimeUnit.SECONDS);
            Map<String, Double> after = scrapeUntil("the message archived for both sides",
                    s -> value(s, "parley_archive_writes_total") >= value(before, "parley_archive_writes_total") + 2);
            assertTrue(value(after, chat) >= value(before, chat) + 1, "a chat delivery counted");
            assertTrue(value(after, "parley_archive_commit_seconds_count") > value(before, "parley_archive_commit_seconds_count"),
                    "a commit timed");
        } finally {
            alice.disconnect();
            bob.disconnect();
        }
    }

    @Test
    @Order(3)
    void uploadBytesCountTheStoredFile() throws Exception {
        double before = value(scrape(), "parley_upload_bytes_total");
        Path file = Files.write(temp.resolve("counted.bin"), new byte[12_345]);
        XMPPTCPConnection alice = gateway.server().login("alice");
        try {
            HttpFileUploadManager manager = HttpFileUploadManager.getInstanceFor(alice);
            assertTrue(manager.discoverUploadService());
            manager.uploadFile(file.toFile());
        } finally {
            alice.disconnect();
        }
        assertEquals(before + 12_345, value(scrape(), "parley_upload_bytes_total"));
    }

    @Test
    @Order(4)
    void aSecondSessionOverTheLimitIsALimitHit() throws Exception {
        String hits = "parley_limit_hits_total{limit=\"sessions-per-account\"}";
        Map<String, Double> before = scrape();
        assertTrue(before.containsKey(hits), "every limit's counter exists from the start");
        XMPPTCPConnection first = gateway.server().login("bob", "one");
        try {
            assertThrows(Exception.class, () -> gateway.server().login("bob", "two").disconnect());
        } finally {
            first.disconnect();
        }
        assertEquals(value(before, hits) + 1, value(scrape(), hits));
    }

    @Test
    @Order(5)
    void databasePoolAndNettyMetersAreExported() throws Exception {
        Map<String, Double> samples = scrape();
        assertTrue(samples.containsKey("hikaricp_connections_max{pool=\"parley-storage\"}"),
                samples.keySet().stream().filter(k -> k.startsWith("hikari")).toList().toString());
        assertTrue(samples.keySet().stream().anyMatch(k -> k.startsWith("netty_allocator_memory_used")),
                samples.keySet().stream().filter(k -> k.startsWith("netty")).toList().toString());
        assertTrue(samples.keySet().stream().anyMatch(k -> k.startsWith("netty_eventexecutor_tasks_pending")));
        for (String key : samples.keySet()) {
            assertTrue(!key.contains("alice") && !key.contains("bob") && !key.contains("carol"), "no user in a label: " + key);
        }
    }
}
