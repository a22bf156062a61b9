package org.parley.gateway.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.concurrent.TimeUnit;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jivesoftware.smack.XMPPException;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.MessageBuilder;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.gateway.testing.TestGateway;

/**
 * The operator's endpoints (issue 20): {@code /metrics} in the Prometheus text format whose counters follow real
 * traffic, who may read it, and {@code /health/live} / {@code /health/ready}.
 */
class MonitoringTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    /** A sample line of the text exposition format 0.0.4: name, optional labels, value (no timestamps here). */
    private static final Pattern SAMPLE = Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\.)*\"(?:,[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\.)*\")*,?)?\\})? "
                    + "(NaN|[+-]Inf|[-+]?[0-9]*\\.?[0-9]+(?:[eE][-+]?[0-9]+)?)");
    private static final Pattern COMMENT = Pattern.compile("# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*");

    @RegisterExtension
    static final TestGateway gateway = TestGateway.withUsers("alice", "bob");

    static HttpResponse<String> get(TestGateway gateway, String path, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + gateway.gateway().httpPort() + path)).timeout(Duration.ofSeconds(10));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Every sample of a scrape, as "name{labels}" → value; fails on any line the text format does not allow. */
    static Map<String, Double> parse(String exposition) {
        Map<String, Double> samples = new HashMap<>();
        for (String line : exposition.split("\n")) {
            if (line.isEmpty() || COMMENT.matcher(line).matches()) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            assertTrue(m.matches(), "not a line of the Prometheus text format: " + line);
            samples.put(m.group(1) + (m.group(2) == null ? "" : m.group(2)), Double.parseDouble(m.group(4)
                    .replace("+Inf", "Infinity").replace("-Inf", "-Infinity")));
        }
        return samples;
    }

    private static Map<String, Double> scrape() throws Exception {
        HttpResponse<String> response = get(gateway, "/metrics", null);
        assertEquals(200, response.statusCode(), response.body());
        assertEquals(MetricsEndpoint.CONTENT_TYPE, response.headers().firstValue("Content-Type").orElse(""));
        return parse(response.body());
    }

    private static double value(Map<String, Double> samples, String series) {
        return samples.getOrDefault(series, 0.0);
    }

    /** Logins with this outcome, over every SASL mechanism. */
    private static double logins(Map<String, Double> samples, String outcome) {
        return samples.entrySet().stream().filter(e -> e.getKey().startsWith("parley_logins_total{")
                && e.getKey().contains("outcome=\"" + outcome + "\"")).mapToDouble(Map.Entry::getValue).sum();
    }

    @Test
    void metricsParseAsPrometheusTextAndCountersFollowTraffic() throws Exception {
        Map<String, Double> before = scrape();
        assertTrue(before.keySet().stream().anyMatch(k -> k.startsWith("jvm_memory_used_bytes")), "JVM memory");
        assertTrue(before.keySet().stream().anyMatch(k -> k.startsWith("jetty_threads_busy")), "Jetty thread pool");
        String messagesIn = "parley_stanzas_total{direction=\"in\",kind=\"message\"}";
        String messagesOut = "parley_stanzas_total{direction=\"out\",kind=\"message\"}";
        String tcpSessions = "parley_sessions{transport=\"tcp\"}";

        XMPPTCPConnection wrong = new XMPPTCPConnection(gateway.server().config("alice")
                .setUsernameAndPassword("alice", "not-the-password").build());
        wrong.connect();
        assertThrows(XMPPException.class, wrong::login);
        wrong.disconnect();

        XMPPTCPConnection alice = gateway.server().login("alice");
        XMPPTCPConnection bob = gateway.server().login("bob");
        try {
            Map<String, Double> online = scrape();
            assertEquals(value(before, tcpSessions) + 2, value(online, tcpSessions), "two TCP sessions online");
            assertEquals(logins(before, "success") + 2, logins(online, "success"), "two logins");
            assertEquals(logins(before, "failure") + 1, logins(online, "failure"), "one failed login");

            java.util.concurrent.CompletableFuture<Message> received = new java.util.concurrent.CompletableFuture<>();
            bob.addAsyncStanzaListener(s -> received.complete((Message) s),
                    s -> s instanceof Message m && "counted".equals(m.getBody()));
            alice.sendStanza(MessageBuilder.buildMessage().to(bob.getUser())
                    .ofType(Message.Type.chat).setBody("counted").build());
            received.get(10, java.util.concurrent.TimeUnit.SECONDS);
            Map<String, Double> after = scrape();
            assertTrue(value(after, messagesIn) >= value(online, messagesIn) + 1, "the message was counted in");
            assertTrue(value(after, messagesOut) >= value(online, messagesOut) + 1, "and out");
            for (String key : after.keySet()) {
                assertFalse(key.contains("alice") || key.contains("bob"), "no user in a label: " + key);
            }
        } finally {
            alice.disconnect();
            bob.disconnect();
        }
    }

    /** The sample Grafana dashboard in the repository uses only series that a running server exports. */
    @Test
    void theGrafanaDashboardQueriesExistingSeries() throws Exception {
        java.nio.file.Path dashboard = java.nio.file.Path.of("..", "docs", "operating", "grafana-dashboard.json");
        String json = java.nio.file.Files.readString(dashboard);
        // GC pause series exist from the first collection this server saw on; ask for one and wait until it is in.
        Map<String, Double> scraped = scrape();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (scraped.keySet().stream().noneMatch(k -> k.startsWith("jvm_gc_pause_seconds_sum"))
                && System.nanoTime() < deadline) {
            System.gc(); // the JVM reports the pause asynchronously (a GC notification)
            scraped = scrape();
        }
        Map<String, Double> samples = scraped;
        Matcher series = Pattern.compile("\\b((?:parley|jvm|process|system|jetty|hikaricp|netty)_[a-z_]+)").matcher(json);
        int checked = 0;
        while (series.find()) {
            String name = series.group(1);
            assertTrue(samples.keySet().stream().anyMatch(k -> k.equals(name) || k.startsWith(name + "{")),
                    () -> "the dashboard queries " + name + ", which /metrics does not export; it has "
                            + samples.keySet().stream().map(k -> k.replaceAll("\\{.*", "")).distinct()
                            .filter(k -> k.startsWith(name.substring(0, name.indexOf('_') + 1))).sorted().toList());
            checked++;
        }
        assertTrue(checked >= 10, "found the queries (" + checked + ")");
    }

    @Test
    void healthLiveAndReady() throws Exception {
        HttpResponse<String> live = get(gateway, "/health/live", null);
        assertEquals(200, live.statusCode());
        assertEquals("{\"status\":\"live\"}\n", live.body());
        HttpResponse<String> ready = get(gateway, "/health/ready", null);
        assertEquals(200, ready.statusCode(), ready.body());
        assertEquals("{\"status\":\"ready\",\"checks\":{\"c2s\":\"ok\",\"storage\":\"ok\"}}\n", ready.body());
    }

    @Test
    void metricsAreRefusedToOtherMethods() throws Exception {
        HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + gateway.gateway().httpPort() + "/metrics")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(405, post.statusCode());
    }
}
