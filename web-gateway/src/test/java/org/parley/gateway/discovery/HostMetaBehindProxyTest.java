package org.parley.gateway.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.gateway.testing.RawBosh;
import org.parley.gateway.testing.TestGateway;

/**
 * XEP-0156 behind a reverse proxy on port 443 ({@code http.public-url}): clients look for
 * {@code https://<domain>/.well-known/host-meta} and must be told the proxy's URLs, not the gateway's own
 * ports, which are not reachable from outside. Requests here come from the "proxy" (this test, on loopback,
 * as a proxy on the same machine would) under whatever host it forwards.
 */
class HostMetaBehindProxyTest {

    @RegisterExtension
    static final TestGateway gateway = TestGateway.withSettings(
            TestGateway.http(h -> h.withPublicUrl(URI.create("https://chat.example.org"))));

    private static HttpResponse<String> get(String path) throws Exception {
        return RawBosh.http().send(HttpRequest.newBuilder(gateway.httpUri(path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void xep0156_xrdListsOnlyThePublicWebSocketAndBoshUrls() throws Exception {
        HttpResponse<String> response = get("/.well-known/host-meta");
        assertEquals(200, response.statusCode());
        assertEquals("*", response.headers().firstValue("Access-Control-Allow-Origin").orElse(null));
        assertEquals("""
                <?xml version='1.0' encoding='utf-8'?>
                <XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>
                  <Link rel='urn:xmpp:alt-connections:websocket' href='wss://chat.example.org/xmpp-websocket'/>
                  <Link rel='urn:xmpp:alt-connections:xbosh' href='https://chat.example.org/http-bind'/>
                </XRD>
                """, response.body());
    }

    @Test
    void xep0156_jsonListsTheSamePublicUrls() throws Exception {
        HttpResponse<String> response = get("/.well-known/host-meta.json");
        assertEquals(200, response.statusCode());
        assertEquals("{\"links\":[{\"rel\":\"urn:xmpp:alt-connections:websocket\",\"href\":"
                + "\"wss://chat.example.org/xmpp-websocket\"},{\"rel\":\"urn:xmpp:alt-connections:xbosh\",\"href\":"
                + "\"https://chat.example.org/http-bind\"}]}", response.body());
    }

    @Test
    void pagesFromThePublicOriginMayOpenBosh() throws Exception {
        // The chat page served through the proxy sends its public origin; "self" includes it.
        HttpResponse<String> allowed = RawBosh.http().send(HttpRequest.newBuilder(gateway.httpUri("/http-bind"))
                .header("Origin", "https://chat.example.org").method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Access-Control-Request-Method", "POST").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(204, allowed.statusCode());
        assertEquals("https://chat.example.org",
                allowed.headers().firstValue("Access-Control-Allow-Origin").orElse(null), allowed.toString());
        HttpResponse<String> other = RawBosh.http().send(HttpRequest.newBuilder(gateway.httpUri("/http-bind"))
                .header("Origin", "https://evil.example").method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Access-Control-Request-Method", "POST").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(403, other.statusCode());
    }
}
