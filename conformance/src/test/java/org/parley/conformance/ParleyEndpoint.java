package org.parley.conformance;

import java.io.IOException;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;

import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import org.jivesoftware.smack.ConnectionConfiguration;

import org.parley.server.ParleyServer;

/**
 * Where and how SINT reaches the embedded Parley: its XMPP domain, the loopback address and the ephemeral
 * ports it listens on, and the certificate it presents (the only one the runner's connections trust).
 * The web gateway's plain-HTTP port serves RFC 7395 WebSocket at {@code /xmpp-websocket} and BOSH at
 * {@code /http-bind}; on loopback the server treats it as secure, as it does for any local web client.
 */
record ParleyEndpoint(String domain, InetAddress address, int c2sPort, int directTlsPort, int httpPort,
                      X509Certificate certificate, String certificateFingerprint) {

    static ParleyEndpoint of(ParleyServer server, int httpPort) {
        return new ParleyEndpoint(server.domain(), InetAddress.getLoopbackAddress(), server.c2sPort(),
                server.directTlsPort(), httpPort, server.certificate(), server.certificateFingerprint());
    }

    /** The RFC 7395 endpoint, e.g. {@code ws://127.0.0.1:8080/xmpp-websocket}. */
    java.net.URI webSocketUri() {
        return java.net.URI.create("ws://127.0.0.1:" + httpPort + "/xmpp-websocket");
    }

    /**
     * Makes a Smack connection trust exactly this server's certificate (a trust store holding only it, with
     * the JDK's usual PKIX checks) and require TLS. Smack still verifies that the certificate names the
     * XMPP domain.
     *
     * <p>SINT's own {@code serviceTlsPin} cannot be used with Smack 4.5.0-beta5: {@code ConnectionConfiguration}
     * re-initializes the pinned {@code SSLContext} that SINT's {@code SslContextFactory} returns with
     * {@code init(keyManagers, null, random)}, which replaces the pinning trust manager with the JDK's default
     * one, so the handshake fails with "PKIX path building failed" for any self-signed certificate.
     */
    void trust(ConnectionConfiguration.Builder<?, ?> builder) {
        builder.setCustomX509TrustManager(trustManager())
                .setSecurityMode(ConnectionConfiguration.SecurityMode.required);
    }

    X509TrustManager trustManager() {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            store.setCertificateEntry("parley", certificate);
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            for (TrustManager manager : factory.getTrustManagers()) {
                if (manager instanceof X509TrustManager x509) {
                    return x509;
                }
            }
            throw new IllegalStateException("no X509TrustManager from " + factory.getAlgorithm());
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build a trust manager for Parley's certificate: " + e, e);
        }
    }
}
