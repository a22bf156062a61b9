package org.parley.gateway.page;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.gateway.testing.RawBosh;
import org.parley.gateway.testing.TestGateway;

/** The page's files over plain HTTP: content types, security headers, caching, no listing, the config endpoint. */
class ChatPageHandlerTest {

    @RegisterExtension
    static final TestGateway gateway = TestGateway.withUsers();

    private static HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(gateway.httpUri(path)).GET();
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return RawBosh.http().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void pageIsServedAtTheRootWithAStrictContentSecurityPolicy() throws Exception {
        HttpResponse<String> page = get("/");
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("Content-Type").orElseThrow().startsWith("text/html"));
        assertTrue(page.body().contains("<script type=\"module\" src=\"js/main.js\">"), "the page loads its module");
        String csp = page.headers().firstValue("Content-Security-Policy").orElseThrow();
        assertTrue(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"), csp);
        assertFalse(csp.contains("unsafe-inline") || csp.contains("unsafe-eval"), csp);
        int port = gateway.gateway().httpPort();
        assertTrue(csp.contains("connect-src 'self' ws://127.0.0.1:" + port + " wss://127.0.0.1:" + port), csp);
        assertTrue(csp.contains("frame-ancestors 'none'"), csp);
        // The upload service's origin (its URLs name the domain, not this address): pictures and the PUT.
        assertTrue(csp.contains("img-src 'self' data: http://localhost:" + port + ";"), csp);
        assertTrue(csp.endsWith("wss://127.0.0.1:" + port + " http://localhost:" + port), csp);
        assertEquals("nosniff", page.headers().firstValue("X-Content-Type-Options").orElseThrow());
        assertEquals("no-cache", page.headers().firstValue("Cache-Control").orElseThrow());
    }

    @Test
    void modulesAndStylesHaveTheirContentTypesAndRevalidate() throws Exception {
        HttpResponse<String> js = get("/js/xmpp/connection.js");
        assertEquals(200, js.statusCode());
        assertTrue(js.headers().firstValue("Content-Type").orElseThrow().startsWith("text/javascript"),
                "module scripts must be served as JavaScript (browsers refuse other types)");
        String etag = js.headers().firstValue("ETag").orElseThrow();
        assertEquals(304, get("/js/xmpp/connection.js", "If-None-Match", etag).statusCode());
        assertTrue(get("/css/parley.css").headers().firstValue("Content-Type").orElseThrow().startsWith("text/css"));
    }

    @Test
    void noDirectoryListingNoTraversalAndUnknownFilesAre404() throws Exception {
        HttpResponse<String> directory = get("/js/");
        assertTrue(directory.statusCode() == 403 || directory.statusCode() == 404, "status " + directory.statusCode());
        assertFalse(directory.body().contains("main.js"), "no listing");
        assertEquals(404, get("/nothing-here.js").statusCode());
        HttpResponse<String> traversal = RawBosh.http().send(HttpRequest.newBuilder(
                URI.create(gateway.httpUri("/").toString() + "js/..%2F..%2Flogback.xml")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(traversal.statusCode() >= 400, "status " + traversal.statusCode());
        assertFalse(traversal.body().contains("<configuration"), "nothing outside web/ is served");
    }

    @Test
    void configTellsTheDomainTransportPathsAndStanzaLimit() throws Exception {
        HttpResponse<String> config = get("/parley-client.json");
        assertEquals(200, config.statusCode());
        assertEquals("application/json", config.headers().firstValue("Content-Type").orElseThrow());
        assertEquals("{\"domain\":\"localhost\",\"websocket\":\"/xmpp-websocket\",\"bosh\":\"/http-bind\",\"maxStanzaBytes\":"
                + gateway.server().settings().limits().stanzaBytes() + "}", config.body());
    }
}
