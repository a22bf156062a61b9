package org.parley.server.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cluster block (issue 19): its defaults, bounds, and the PostgreSQL requirement. */
class ClusterSettingsTest {

    @TempDir
    Path dir;

    private SettingsLoader loader() {
        return new SettingsLoader().baseDirectory(dir);
    }

    private String error(SettingsLoader loader) {
        return assertThrows(SettingsException.class, loader::loadAll).getMessage();
    }

    @Test
    void offByDefault() {
        assertEquals(ClusterSettings.OFF, loader().loadAll().cluster());
    }

    @Test
    void aThreeNodeTcpIpCluster() throws IOException {
        Path config = Files.writeString(dir.resolve("parley.conf"), """
                storage.jdbc-url = "jdbc:postgresql://db/parley"
                cluster {
                  enabled = true
                  name = chat-prod
                  bind-address = 10.0.0.2
                  port = 5801
                  members = ["10.0.0.1:5801", "10.0.0.2:5801", "10.0.0.3"]
                  failure-timeout = 5s
                  min-members = 2
                }
                """);
        ClusterSettings c = loader().configFile(config).loadAll().cluster();
        assertEquals(new ClusterSettings(true, "chat-prod", "10.0.0.2", 5801,
                List.of("10.0.0.1:5801", "10.0.0.2:5801", "10.0.0.3"), "tcp-ip", null, Duration.ofSeconds(5), 2), c);
    }

    @Test
    void clusterModeRefusesTheEmbeddedDatabaseInOneLine() {
        String message = error(loader().overrides(Map.of("cluster.enabled", "true")));
        assertTrue(message.startsWith("cluster.enabled: cluster mode needs the shared PostgreSQL database"), message);
        assertTrue(!message.contains("\n"), "one line: " + message);
    }

    @Test
    void aServerStartedInCodeRefusesTheEmbeddedDatabaseWithTheSameLine() {
        ServerSettings embedded = loader().loadAll().server();
        ClusterSettings on = ClusterSettings.loopback("parley", 5701, List.of(), Duration.ofSeconds(5), 0);
        // A SettingsException, which the command line prints as its one line (no stack trace, no --debug hint).
        String message = assertThrows(SettingsException.class,
                () -> org.parley.server.ParleyServer.start(embedded, on)).getMessage();
        assertEquals(error(loader().overrides(Map.of("cluster.enabled", "true"))), message);
    }

    @Test
    void boundsAreEnforced() {
        assertTrue(error(loader().overrides(Map.of("cluster.failure-timeout", "1s"))).startsWith("cluster.failure-timeout"));
        assertTrue(error(loader().overrides(Map.of("cluster.port", "0"))).startsWith("cluster.port"));
        assertTrue(error(loader().overrides(Map.of("cluster.discovery", "gossip"))).startsWith("cluster.discovery"));
        assertTrue(error(loader().overrides(Map.of("cluster.members", "a b:1"))).startsWith("cluster.members"));
        assertTrue(error(loader().overrides(Map.of("cluster.name", "no spaces"))).startsWith("cluster.name"));
        assertTrue(error(loader().overrides(Map.of("cluster.public-address", "10.0.0.9")))
                .startsWith("cluster.public-address"), "host:port, the port included");
    }

    @Test
    void aPublicAddressBehindNat() {
        ClusterSettings c = loader().overrides(Map.of("cluster.public-address", "203.0.113.7:5701")).loadAll().cluster();
        assertEquals("203.0.113.7:5701", c.publicAddress());
        assertEquals("203.0.113.7:5701", org.parley.server.cluster.ClusterEngine.config(c).getNetworkConfig()
                .getPublicAddress(), "announced to the other members");
    }
}
