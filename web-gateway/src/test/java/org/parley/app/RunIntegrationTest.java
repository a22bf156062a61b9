package org.parley.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.server.testing.RawClient;

/**
 * {@code parley run} with the REAL ParleyServer and web gateway on free ports and H2 in a temporary
 * directory: one process serves XMPP over TCP and HTTP (BOSH, WebSocket, discovery) together. Instead of
 * waiting for SIGTERM, the test context checks both listeners while the server runs, then stops it.
 */
@Tag("needs-real-server")
class RunIntegrationTest {

    @TempDir
    Path dir;

    @Test
    void startsXmppAndHttpTogetherPrintsAndStops() {
        AtomicReference<ServerHandle> running = new AtomicReference<>();
        List<String> seenWhileRunning = new ArrayList<>();
        CliContext context = new CliContext(Map.of(), dir, new ByteArrayInputStream(new byte[0]), null,
                settings -> {
                    ServerHandle handle = ServerHandle.start(settings);
                    running.set(handle);
                    return handle;
                },
                JdbcAccountAdmin::open,
                onShutdown -> {
                    try {
                        seenWhileRunning.addAll(probe(running.get()));
                    } finally {
                        onShutdown.run();
                    }
                });
        Cli.Result result = Cli.run(context, "run", "--c2s-port", "0", "--direct-tls-port", "0", "--http-port", "0",
                "-D", "c2s.bind-address=127.0.0.1", "-D", "http.bind-address=127.0.0.1",
                "--data-dir", dir.resolve("data").toString());
        assertEquals(0, result.exitCode(), result.err());
        String out = result.out();
        assertTrue(out.contains("domain: localhost\n"), out);
        assertTrue(out.matches("(?s).*c2s \\(STARTTLS\\): 127\\.0\\.0\\.1:[1-9]\\d*\n.*"), out);
        assertTrue(out.matches("(?s).*c2s \\(Direct TLS\\): 127\\.0\\.0\\.1:[1-9]\\d*\n.*"), out);
        assertTrue(out.matches("(?s).*http \\(BOSH, WebSocket\\): 127\\.0\\.0\\.1:[1-9]\\d*\n.*"), out);
        assertTrue(out.contains("https (BOSH, WebSocket): disabled\n"), out);
        assertTrue(out.contains("data directory: " + dir.resolve("data") + "\n"), out);
        assertTrue(out.matches("(?s).*certificate SHA-256: ([0-9A-F]{2}:){31}[0-9A-F]{2}\n"
                + "certificate SHA-1: ([0-9A-F]{2}:){19}[0-9A-F]{2}\n.*"), out);
        assertEquals(1, out.split("certificate SHA-256", -1).length - 1, "the fingerprint is printed once");
        assertTrue(out.startsWith("Parley "), "the summary comes as one block: " + out);
        assertTrue(out.endsWith("Parley stopped\n"), out);
        assertEquals(List.of("xmpp ok", "host-meta ok", "bosh ok"), seenWhileRunning);
    }

    /** Talks to the running process over TCP (XMPP) and HTTP (discovery, BOSH). */
    private static List<String> probe(ServerHandle server) {
        List<String> seen = new ArrayList<>();
        try (RawClient xmpp = new RawClient(server.c2sPort())) {
            xmpp.openStream().await("</stream:features>");
            seen.add("xmpp ok");
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            String base = "http://127.0.0.1:" + server.httpPort();
            HttpResponse<String> hostMeta = http.send(HttpRequest.newBuilder(URI.create(base + "/.well-known/host-meta"))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            if (hostMeta.statusCode() == 200 && hostMeta.body().contains(base + "/http-bind")) {
                seen.add("host-meta ok");
            }
            HttpResponse<String> bosh = http.send(HttpRequest.newBuilder(URI.create(base + "/http-bind"))
                    .POST(HttpRequest.BodyPublishers.ofString("<body rid='1' to='localhost' wait='5' hold='1' ver='1.11'"
                            + " xmpp:version='1.0' xmlns:xmpp='urn:xmpp:xbosh' xmlns='http://jabber.org/protocol/httpbind'/>"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            if (bosh.body().contains("<stream:features")) {
                seen.add("bosh ok");
            }
        } catch (Exception e) {
            seen.add("failed: " + e);
        }
        return seen;
    }
}
