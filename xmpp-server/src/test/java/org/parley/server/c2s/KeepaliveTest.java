package org.parley.server.c2s;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.server.config.ServerSettings;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

/** Whitespace keepalives (RFC 6120 §4.6.1) and the idle timeout (§4.9.3.4 connection-timeout). */
class KeepaliveTest {

    @RegisterExtension
    static final TestServer server = TestServer.withSettings(s -> {
        ServerSettings.Limits l = s.limits();
        return s.withLimits(new ServerSettings.Limits(l.stanzaBytes(), l.preAuthStanzaBytes(),
                Duration.ofSeconds(2), Duration.ofMillis(300), l.offlinePerUser(), l.scramIterations()));
    });

    @Test
    void silentConnectionGetsKeepalivesThenConnectionTimeout() throws Exception {
        try (RawClient client = new RawClient(server.server().c2sPort())) {
            String features = client.openStream().await("</stream:features>");
            // After the features, the server's next output is whitespace only, until the idle timeout.
            String later = client.await("<connection-timeout", Duration.ofSeconds(10));
            String between = later.substring(features.length(), later.indexOf("<stream:error"));
            assertTrue(!between.isEmpty() && between.isBlank(), "keepalive whitespace before the timeout: '" + between + "'");
            assertTrue(client.awaitClosed(Duration.ofSeconds(10)));
        }
    }
}
