package org.parley.client.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import org.jivesoftware.smack.java7.XmppHostnameVerifier;

/**
 * Decides whether a server certificate is trusted: either the system trust store accepts it (and its name
 * matches the XMPP domain), or its SHA-256 fingerprint equals the one the user pinned for that server.
 * There is no trust-all. Pins are remembered per XMPP domain in a properties file
 * ({@code $XDG_CONFIG_HOME/parley/trusted-servers.properties}, by default
 * {@code ~/.config/parley/trusted-servers.properties}); {@link #inMemory()} keeps them for this process only.
 */
public final class CertificateTrust {

    private final Path file;
    private final Map<String, String> pins = new ConcurrentHashMap<>();

    /** Pins stored in {@code file} (read now, rewritten on every change); null keeps them in memory only. */
    public CertificateTrust(Path file) {
        this.file = file;
        if (file != null && Files.isRegularFile(file)) {
            Properties properties = new Properties();
            try (InputStream in = Files.newInputStream(file)) {
                properties.load(in);
            } catch (IOException e) {
                throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
            }
            properties.stringPropertyNames().forEach(k -> pins.put(k, normalize(properties.getProperty(k))));
        }
    }

    /** The user's pins in {@link #defaultFile()}. */
    public static CertificateTrust userDefault() {
        return new CertificateTrust(defaultFile());
    }

    /** Pins for this process only (bots given a fingerprint on the command line, tests). */
    public static CertificateTrust inMemory() {
        return new CertificateTrust(null);
    }

    /** {@code $XDG_CONFIG_HOME/parley/trusted-servers.properties}, or under {@code ~/.config} when unset. */
    public static Path defaultFile() {
        String xdg = System.getenv("XDG_CONFIG_HOME");
        Path config = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".config");
        return config.resolve("parley").resolve("trusted-servers.properties");
    }

    /** Where pins are stored, or null when in memory only. */
    public Path file() {
        return file;
    }

    /** Trusts the certificate with this SHA-256 fingerprint for {@code server} (replacing an earlier pin). */
    public synchronized void trust(String server, String fingerprint) {
        String normalized = normalize(fingerprint);
        if (normalized.length() != 95) {
            throw new IllegalArgumentException("not a SHA-256 fingerprint: " + fingerprint);
        }
        pins.put(key(server), normalized);
        save();
    }

    /** Forgets the pin for {@code server}. */
    public synchronized void forget(String server) {
        if (pins.remove(key(server)) != null) {
            save();
        }
    }

    /** The pinned fingerprint for {@code server}, as {@code AB:CD:...}, or null. */
    public String pinnedFingerprint(String server) {
        return pins.get(key(server));
    }

    /** SHA-256 of a certificate as {@code AB:CD:...} (the format {@code ./parley} prints). */
    public static String fingerprint(X509Certificate certificate) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
            return HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot fingerprint certificate", e);
        }
    }

    /** The trust manager for one connection to {@code server}. */
    Checker checkerFor(String server) {
        return new Checker(key(server));
    }

    private void save() {
        if (file == null) {
            return;
        }
        Properties properties = new Properties();
        properties.putAll(pins);
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
            try (OutputStream out = Files.newOutputStream(temporary)) {
                properties.store(out, "Parley: SHA-256 fingerprints of server certificates the user trusts, per XMPP domain");
            }
            try {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static String key(String server) {
        return server.trim().toLowerCase(Locale.ROOT);
    }

    static String normalize(String fingerprint) {
        String hex = fingerprint.replaceAll("[^0-9A-Fa-f]", "").toUpperCase(Locale.ROOT);
        return hex.replaceAll("(..)(?!$)", "$1:");
    }

    private static X509TrustManager systemTrustManager() {
        try {
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init((KeyStore) null);
            for (TrustManager manager : factory.getTrustManagers()) {
                if (manager instanceof X509TrustManager x509) {
                    return x509;
                }
            }
            throw new IllegalStateException("no X509TrustManager in the system trust store");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Trust manager plus hostname verifier for one connection. A certificate accepted through a pin skips the
     * name check (the pin names exactly one certificate); one accepted by the system store must match the
     * domain. The last rejection is kept so the client can report it even when the TLS stack wraps it.
     */
    final class Checker implements X509TrustManager, HostnameVerifier {

        private final String server;
        private final X509TrustManager system = systemTrustManager();
        private final AtomicReference<UntrustedCertificateException> rejection = new AtomicReference<>();

        private Checker(String server) {
            this.server = server;
        }

        UntrustedCertificateException rejection() {
            return rejection.get();
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            if (chain == null || chain.length == 0) {
                throw new CertificateException("no server certificate");
            }
            String presented = fingerprint(chain[0]);
            String pinned = pinnedFingerprint(server);
            if (presented.equals(pinned)) {
                return;
            }
            try {
                system.checkServerTrusted(chain, authType);
            } catch (CertificateException e) {
                UntrustedCertificateException untrusted = new UntrustedCertificateException(server, presented, pinned, chain[0], e);
                rejection.set(untrusted);
                throw untrusted;
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a client does not accept client certificates");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return system.getAcceptedIssuers();
        }

        @Override
        public boolean verify(String hostname, SSLSession session) {
            try {
                if (session.getPeerCertificates()[0] instanceof X509Certificate leaf
                        && fingerprint(leaf).equals(pinnedFingerprint(server))) {
                    return true;
                }
            } catch (SSLPeerUnverifiedException e) {
                return false;
            }
            return new XmppHostnameVerifier().verify(hostname, session);
        }
    }
}
