package org.parley.gateway;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class OriginPolicyTest {

    private final OriginPolicy defaults = new OriginPolicy(List.of("self", "loopback"), "chat.example.org", 8080, 8443);

    @Test
    void selfIsTheServersOwnOriginsOnItsPorts() {
        assertTrue(defaults.allows("http://chat.example.org:8080"));
        assertTrue(defaults.allows("https://chat.example.org:8443"));
        assertTrue(defaults.allows("HTTPS://Chat.Example.ORG:8443"), "scheme and host compare case-insensitively");
        assertFalse(defaults.allows("https://chat.example.org"), "443 is not the HTTPS port here");
        assertFalse(defaults.allows("http://chat.example.org:8443"), "wrong scheme for the port");
        assertFalse(defaults.allows("https://evil.chat.example.org:8443"));
        assertTrue(new OriginPolicy(List.of("self"), "chat.example.org", 80, 443).allows("https://chat.example.org"),
                "default ports are left out of origins");
    }

    @Test
    void behindAReverseProxySelfIncludesThePublicUrlsOrigin() {
        OriginPolicy proxied = new OriginPolicy(List.of("self"), "chat.example.org", 8080, -1,
                java.net.URI.create("https://chat.example.org/xmpp"));
        assertTrue(proxied.allows("https://chat.example.org"), "the public URL's origin, path left out");
        assertTrue(proxied.allows("http://chat.example.org:8080"));
        assertFalse(proxied.allows("http://chat.example.org"));
    }

    @Test
    void loopbackIsAnyPortOnTheLocalMachine() {
        assertTrue(defaults.allows("http://localhost:3000"));
        assertTrue(defaults.allows("https://127.0.0.1:5173"));
        assertTrue(defaults.allows("http://[::1]:8000"));
        assertTrue(defaults.allows("http://localhost"));
        assertFalse(defaults.allows("http://localhost.evil.example:3000"));
        assertFalse(defaults.allows("http://127.0.0.2:3000"), "only the loopback names the setting documents");
        assertFalse(new OriginPolicy(List.of("self"), "chat.example.org", 8080, -1).allows("http://localhost:3000"),
                "not when the setting leaves loopback out");
    }

    @Test
    void explicitOriginsAndAnything() {
        OriginPolicy listed = new OriginPolicy(List.of("https://app.example.com"), "chat.example.org", 8080, -1);
        assertTrue(listed.allows("https://app.example.com"));
        assertTrue(listed.allows("https://app.example.com:443"));
        assertFalse(listed.allows("http://app.example.com"));
        assertFalse(listed.allows("http://chat.example.org:8080"), "self only when listed");
        OriginPolicy any = new OriginPolicy(List.of("*"), "chat.example.org", 8080, -1);
        assertTrue(any.allows("https://anything.example"));
    }

    @Test
    void malformedAndOpaqueOriginsAreRefused() {
        assertFalse(defaults.allows("null"), "sandboxed pages and file: URLs send the opaque origin null");
        assertFalse(defaults.allows("file://"));
        assertFalse(defaults.allows("http://localhost:3000/path"));
        assertFalse(defaults.allows("http://user@localhost:3000"));
        assertFalse(defaults.allows("not a url"));
        assertFalse(defaults.allows(""));
    }
}
