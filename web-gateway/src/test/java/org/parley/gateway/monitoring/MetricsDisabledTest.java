package org.parley.gateway.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.parley.gateway.monitoring.MonitoringTest.get;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.gateway.testing.TestGateway;
import org.parley.server.config.ServerSettings;

/** {@code http.metrics.enabled = false}: the path is not served at all; health still is. */
class MetricsDisabledTest {

    @RegisterExtension
    static final TestGateway off = TestGateway.withSettings(TestGateway.http(h -> new ServerSettings.Http(
            h.bindAddress(), h.port(), h.tlsPort(), h.allowedOrigins(), h.bosh(),
            new ServerSettings.Metrics(false, null))));

    @Test
    void metricsAre404() throws Exception {
        assertEquals(404, get(off, "/metrics", null).statusCode());
        assertEquals(200, get(off, "/health/live", null).statusCode());
    }
}
