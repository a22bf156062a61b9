package org.parley.gateway.upload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;

import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.httpfileupload.HttpFileUploadManager;
import org.jivesoftware.smackx.httpfileupload.element.Slot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.gateway.testing.TestGateway;
import org.parley.server.config.ServerSettings;

/**
 * A PUT that starts after {@code upload.slot-expiry} is refused over real HTTP (the rule itself is tested
 * with a movable clock in xmpp-server's HttpUploadsTest). The expiry is one second here, below the
 * configuration's lower bound, which only the settings file enforces.
 */
class UploadSlotExpiryTest {

    @RegisterExtension
    static final TestGateway gateway = TestGateway.withSettings(s -> s.withUpload(new ServerSettings.Upload(true,
            "upload", 1024, 0, Duration.ofSeconds(1), Duration.ZERO, null)), "alice");

    @Test
    void aPutAfterTheSlotExpiredGets403() throws Exception {
        XMPPTCPConnection alice = gateway.server().login("alice");
        Slot slot;
        Instant granted;
        try {
            HttpFileUploadManager manager = HttpFileUploadManager.getInstanceFor(alice);
            manager.discoverUploadService();
            slot = manager.requestSlot("late.txt", 3, "text/plain");
            granted = Instant.now();
        } finally {
            alice.disconnect();
        }
        // Expiry is checked in whole seconds: two seconds after the grant it has passed for certain.
        Instant expired = granted.plusSeconds(2);
        while (Instant.now().isBefore(expired)) {
            Thread.sleep(Math.max(1, Duration.between(Instant.now(), expired).toMillis()));
        }
        HttpResponse<String> put = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                .send(HttpRequest.newBuilder(slot.getPutUrl().toURI()).header("Content-Type", "text/plain")
                        .PUT(HttpRequest.BodyPublishers.ofString("abc")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(403, put.statusCode());
        assertTrue(put.body().contains("expired"), put.body());
    }
}
