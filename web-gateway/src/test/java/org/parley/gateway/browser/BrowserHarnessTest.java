package org.parley.gateway.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.parley.gateway.testing.TestGateway;

/** The harness itself: a real Chromium reaches the gateway, runs scripts, takes screenshots. */
class BrowserHarnessTest {

    @RegisterExtension
    static final TestGateway gateway = TestGateway.withUsers();

    @RegisterExtension
    static final BrowserExtension browsers = new BrowserExtension();

    @Test
    void chromiumLoadsFromTheGatewayRunsScriptsAndTakesScreenshots() throws Exception {
        try (Browser browser = browsers.open("harness")) {
            browser.get(gateway.httpUri("/.well-known/host-meta.json").toString());
            assertTrue(browser.visible(By.tagName("body")).getText().contains("/xmpp-websocket"),
                    "host-meta JSON shown");
            long sum = browser.script("return arguments[0] + arguments[1];", 2, 3);
            assertEquals(5, sum);
            String later = browser.asyncScript("const done = arguments[arguments.length - 1];"
                    + " setTimeout(() => done('later:' + arguments[0]), 10);", "x");
            assertEquals("later:x", later);
            Path shot = browser.screenshot("host-meta");
            assertTrue(Files.size(shot) > 100, "a PNG was written: " + shot);
        }
    }
}
