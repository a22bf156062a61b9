package org.parley.gateway.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.gateway.testing.RawBosh;
import org.parley.gateway.testing.TestGateway;

/** XEP-0156: both endpoints in the XRD and JSON host-meta, readable by any origin. */
class HostMetaTest {

    @RegisterExtension
    static final TestGateway gateway = TestGateway.withUsers();

    private HttpResponse<String> get(String path, String origin) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(gateway.httpUri(path)).GET();
        if (origin != null) {
            request.header("Origin", origin);
        }
        return RawBosh.http().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void xrdListsWebSocketAndBosh() throws Exception {
        int port = gateway.gateway().httpPort();
        HttpResponse<String> response = get("/.well-known/host-meta", "https://any.example");
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/xrd+xml"));
        assertEquals("*", response.headers().firstValue("Access-Control-Allow-Origin").orElse(null), "public information");
        assertEquals("""
                <?xml version='1.0' encoding='utf-8'?>
                <XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>
                  <Link rel='urn:xmpp:alt-connections:websocket' href='ws://127.0.0.1:%d/xmpp-websocket'/>
                  <Link rel='urn:xmpp:alt-connections:xbosh' href='http://127.0.0.1:%d/http-bind'/>
                </XRD>
                """.formatted(port, port), response.body());
    }

    @Test
    void jsonListsTheSameLinks() throws Exception {
        int port = gateway.gateway().httpPort();
        HttpResponse<String> response = get("/.well-known/host-meta.json", null);
        assertEquals(200, response.statusCode());
        assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(null));
        assertEquals("*", response.headers().firstValue("Access-Control-Allow-Origin").orElse(null));
        assertEquals("{\"links\":[{\"rel\":\"urn:xmpp:alt-connections:websocket\",\"href\":\"ws://127.0.0.1:" + port
                + "/xmpp-websocket\"},{\"rel\":\"urn:xmpp:alt-connections:xbosh\",\"href\":\"http://127.0.0.1:" + port
                + "/http-bind\"}]}", response.body());
    }

    @Test
    void linksUseTheHostTheClientAskedFor() throws Exception {
        int port = gateway.gateway().httpPort();
        HttpResponse<String> response = RawBosh.http().send(HttpRequest.newBuilder(
                java.net.URI.create("http://localhost:" + port + "/.well-known/host-meta.json")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(response.body().contains("ws://localhost:" + port + "/xmpp-websocket"), response.body());
    }

    @Test
    void onlyReadMethods() throws Exception {
        HttpResponse<String> post = RawBosh.http().send(HttpRequest.newBuilder(gateway.httpUri("/.well-known/host-meta"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(405, post.statusCode());
        HttpResponse<String> head = RawBosh.http().send(HttpRequest.newBuilder(gateway.httpUri("/.well-known/host-meta"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, head.statusCode());
        assertEquals(404, get("/.well-known/other", null).statusCode());
    }
}
