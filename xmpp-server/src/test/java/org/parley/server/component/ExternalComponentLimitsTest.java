package org.parley.server.component;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.parley.server.component.ExternalComponentTest.RawComponent;
import org.parley.server.config.ServerSettings;
import org.parley.server.testing.TestServer;

/** XEP-0114 listener bounds and shutdown, on servers of their own (they would disturb other tests). */
class ExternalComponentLimitsTest {

    @RegisterExtension
    static final TestServer server = TestServer.withSettings(s -> s.withComponents(
            new ServerSettings.Components(0, "127.0.0.1", Map.of("component", "s3cret"))));

    @Test
    void connectionsWithoutAHandshakeAreBounded() throws Exception {
        List<RawComponent> waiting = new ArrayList<>();
        try {
            for (int i = 0; i < ComponentConnection.MAX_UNAUTHENTICATED; i++) {
                RawComponent c = RawComponent.connect(server, "component.localhost");
                c.await("<stream:stream[^>]*>"); // accepted and counted
                waiting.add(c);
            }
            try (RawComponent one = RawComponent.connect(server, "component.localhost")) {
                String end = one.awaitEnd();
                assertTrue(end.contains("<policy-violation"), end);
            }
        } finally {
            for (RawComponent c : waiting) {
                c.close();
            }
        }
    }

    @Test
    void rfc6120_4_9_3_17_componentsGetSystemShutdownWhenTheServerStops(@TempDir Path dir) throws Exception {
        TestServer own = TestServer.start(dir, s -> s.withComponents(
                new ServerSettings.Components(0, "127.0.0.1", Map.of("bot", "s3cret"))));
        try (RawComponent c = RawComponent.connect(own, "bot.localhost")) {
            c.handshake("s3cret");
            c.await("<handshake/>");
            own.close();
            String end = c.awaitEnd();
            assertTrue(end.contains("<system-shutdown"), end);
        } finally {
            own.close();
        }
    }

    @Test
    void aComponentCannotTakeOverABuiltInService(@TempDir Path dir) {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> TestServer.start(dir,
                s -> s.withComponents(new ServerSettings.Components(0, "127.0.0.1", Map.of("conference", "x")))));
        assertEquals("components.secrets: conference.localhost is a built-in service (chat rooms, pubsub, upload,"
                + " proxy); choose another name", e.getMessage());
    }
}
