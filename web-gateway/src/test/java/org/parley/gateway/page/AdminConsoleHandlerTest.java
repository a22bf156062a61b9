package org.parley.gateway.page;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.gateway.testing.RawBosh;
import org.parley.gateway.testing.TestGateway;

/**
 * The admin console's files (issue 20): static, under the chat page's strict Content-Security-Policy, and with no
 * HTTP-side login at all — no cookie is set and nothing answers a credential, so the only way in is XMPP, where
 * the server authorises each command (Openfire's CVE-2023-32315 was a second, HTTP-side way in).
 */
class AdminConsoleHandlerTest {

    @RegisterExtension
    static final TestGateway gateway = TestGateway.withUsers();

    private static HttpResponse<String> get(String path) throws Exception {
        return RawBosh.http().send(HttpRequest.newBuilder(gateway.httpUri(path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theConsoleIsAStaticPageUnderTheStrictPolicyWithNoCookie() throws Exception {
        HttpResponse<String> page = get("/admin/");
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("<script type=\"module\" src=\"js/main.js\">"), page.body());
        String csp = page.headers().firstValue("Content-Security-Policy").orElseThrow();
        assertTrue(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"), csp);
        assertFalse(csp.contains("unsafe-inline") || csp.contains("unsafe-eval"), csp);
        assertTrue(csp.contains("frame-ancestors 'none'"), csp);
        assertTrue(page.headers().allValues("Set-Cookie").isEmpty(), "no HTTP session");
        HttpResponse<String> module = get("/admin/js/main.js");
        assertEquals(200, module.statusCode());
        assertTrue(module.headers().firstValue("Content-Type").orElseThrow().startsWith("text/javascript"));
        assertEquals(200, get("/admin/admin.css").statusCode());
    }

    @Test
    void slashlessAddressLeadsToTheConsole() throws Exception {
        HttpResponse<String> bare = get("/admin");
        assertTrue(bare.statusCode() == 200 || bare.statusCode() / 100 == 3
                && bare.headers().firstValue("Location").orElse("").endsWith("/admin/"),
                bare.statusCode() + " " + bare.headers().map());
    }
}
