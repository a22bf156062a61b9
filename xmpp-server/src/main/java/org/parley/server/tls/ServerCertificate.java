package org.parley.server.tls;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;

/**
 * The key and certificate chain the listeners present in TLS (RFC 6120 §5, §13.7.1.2), whatever file format
 * they came from.
 *
 * @param key   the private key of the leaf certificate
 * @param chain leaf first, then intermediates
 */
public record ServerCertificate(PrivateKey key, X509Certificate[] chain) {

    public ServerCertificate {
        Objects.requireNonNull(key, "key");
        if (chain == null || chain.length == 0) {
            throw new IllegalArgumentException("certificate chain is empty");
        }
        chain = chain.clone();
    }

    /** The leaf certificate. */
    public X509Certificate certificate() {
        return chain[0];
    }

    @Override
    public X509Certificate[] chain() {
        return chain.clone();
    }

    /**
     * SHA-256 of the leaf certificate, as {@code AB:CD:...}: what users compare when they pin a self-signed
     * certificate.
     */
    public String sha256Fingerprint() {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(chain[0].getEncoded());
            return HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot fingerprint certificate", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ServerCertificate c && key.equals(c.key) && Arrays.equals(chain, c.chain);
    }

    @Override
    public int hashCode() {
        return 31 * key.hashCode() + Arrays.hashCode(chain);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "ServerCertificate[%s, SHA-256 %s]",
                chain[0].getSubjectX500Principal().getName(), sha256Fingerprint());
    }
}
