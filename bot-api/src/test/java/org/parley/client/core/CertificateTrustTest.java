package org.parley.client.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.parley.server.testing.TestServer;

/** Self-signed server certificates: refused until pinned, accepted when pinned, refused when the pin differs. */
class CertificateTrustTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("alice");

    @TempDir
    Path directory;

    @Test
    void anUnknownCertificateIsRefusedWithItsFingerprintThenAcceptedOncePinnedAndRemembered() throws Exception {
        Path file = directory.resolve("parley/trusted-servers.properties");
        CertificateTrust trust = new CertificateTrust(file);
        ParleyClient client = new ParleyClient(Clients.settings(server, "alice"), trust);
        UntrustedCertificateException refused = assertThrows(UntrustedCertificateException.class,
                () -> client.login(TestServer.PASSWORD));
        assertEquals(server.server().certificateFingerprint(), refused.fingerprint());
        assertEquals("localhost", refused.server());
        assertNull(refused.pinnedFingerprint());
        assertEquals(ConnectionState.DISCONNECTED, client.state());

        trust.trust(refused.server(), refused.fingerprint()); // the user compared and said yes
        client.login(TestServer.PASSWORD);
        assertEquals(ConnectionState.ONLINE, client.state());
        client.close();

        CertificateTrust reloaded = new CertificateTrust(file);
        assertEquals(server.server().certificateFingerprint(), reloaded.pinnedFingerprint("LOCALHOST"));
        ParleyClient again = new ParleyClient(Clients.settings(server, "alice"), reloaded);
        again.login(TestServer.PASSWORD);
        again.close();
    }

    @Test
    void aDifferentPinnedFingerprintIsRefused() {
        CertificateTrust trust = CertificateTrust.inMemory();
        String wrong = "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF";
        trust.trust("localhost", wrong.toLowerCase().replace(":", ""));
        ParleyClient client = new ParleyClient(Clients.settings(server, "alice"), trust);
        UntrustedCertificateException refused = assertThrows(UntrustedCertificateException.class,
                () -> client.login(TestServer.PASSWORD));
        assertEquals(wrong, refused.pinnedFingerprint(), "the changed-certificate case is visible");
        assertEquals(server.server().certificateFingerprint(), refused.fingerprint());
    }

    @Test
    void fingerprintsAreNormalized() {
        assertThrows(IllegalArgumentException.class, () -> CertificateTrust.inMemory().trust("x", "AB:CD"));
        assertEquals("AB:CD:EF", CertificateTrust.normalize("ab cd-ef"));
    }
}
