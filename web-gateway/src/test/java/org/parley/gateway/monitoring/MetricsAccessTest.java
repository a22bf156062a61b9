package org.parley.gateway.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.parley.gateway.monitoring.MonitoringTest.get;
import static org.parley.gateway.monitoring.MonitoringTest.parse;

import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.gateway.testing.TestGateway;
import org.parley.server.config.ServerSettings;

/** Who may read {@code /metrics} once a token is configured: only a request carrying it, loopback included. */
class MetricsAccessTest {

    static final String TOKEN = "0123456789abcdef-metrics";

    @RegisterExtension
    static final TestGateway guarded = TestGateway.withSettings(TestGateway.http(h -> new ServerSettings.Http(
            h.bindAddress(), h.port(), h.tlsPort(), h.allowedOrigins(), h.bosh(),
            new ServerSettings.Metrics(true, TOKEN))));

    @Test
    void onlyTheBearerTokenOpensMetrics() throws Exception {
        HttpResponse<String> none = get(guarded, "/metrics", null);
        assertEquals(401, none.statusCode());
        assertEquals("Bearer realm=\"parley-metrics\"", none.headers().firstValue("WWW-Authenticate").orElse(""));
        assertEquals(401, get(guarded, "/metrics", "Bearer " + TOKEN + "x").statusCode());
        assertEquals(401, get(guarded, "/metrics", "Bearer " + TOKEN.substring(1)).statusCode());
        assertEquals(401, get(guarded, "/metrics", "Basic " + TOKEN).statusCode());
        HttpResponse<String> ok = get(guarded, "/metrics", "Bearer " + TOKEN);
        assertEquals(200, ok.statusCode());
        assertFalse(parse(ok.body()).isEmpty());
    }
}
