package org.parley.client.core;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;

/**
 * The server's certificate is trusted neither by the system trust store nor by a fingerprint pinned for this
 * server. A UI shows {@link #fingerprint()} to the user and, if they confirm it, calls
 * {@link CertificateTrust#trust(String, String)} and logs in again.
 */
public final class UntrustedCertificateException extends CertificateException {

    private static final long serialVersionUID = 1L;

    private final String server;
    private final String fingerprint;
    private final String pinnedFingerprint;
    private final transient X509Certificate certificate;

    public UntrustedCertificateException(String server, String fingerprint, String pinnedFingerprint,
            X509Certificate certificate, Throwable cause) {
        super(pinnedFingerprint == null
                ? "the certificate of " + server + " is not trusted (SHA-256 " + fingerprint + ")"
                : "the certificate of " + server + " has changed: SHA-256 " + fingerprint + ", pinned "
                        + pinnedFingerprint, cause);
        this.server = server;
        this.fingerprint = fingerprint;
        this.pinnedFingerprint = pinnedFingerprint;
        this.certificate = certificate;
    }

    /** The XMPP domain the certificate was presented for. */
    public String server() {
        return server;
    }

    /** SHA-256 of the presented certificate, as {@code AB:CD:...}. */
    public String fingerprint() {
        return fingerprint;
    }

    /** The fingerprint pinned for this server before (so the certificate changed), or null if none was. */
    public String pinnedFingerprint() {
        return pinnedFingerprint;
    }

    /** The presented certificate (null after deserialization). */
    public X509Certificate certificate() {
        return certificate;
    }
}
