package org.parley.server.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.IDN;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import org.parley.server.config.ServerSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the certificate the server presents: a configured PKCS#12 file, a configured PEM pair (what ACME
 * clients write: {@code fullchain.pem} + {@code privkey.pem}), or else a self-signed one generated once into
 * the data directory, so a fresh install offers TLS (required before SASL by default, RFC 6120 §5.3.1) with no
 * setup and keeps the same fingerprint across restarts.
 *
 * <p>Configuration mistakes become {@link IllegalArgumentException}s whose one-line message names the setting
 * and the file, so startup can print them as they are.
 */
public final class CertificateManager {

    /** The maximum lifetime browsers accepted for server certificates when this was written. */
    static final Duration VALIDITY = Duration.ofDays(825);

    private static final Logger LOG = LoggerFactory.getLogger(CertificateManager.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern HOST = Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*");

    private CertificateManager() {
    }

    /**
     * @param tls           the {@code tls.*} settings
     * @param domain        the XMPP domain, for the self-signed certificate and a warning when a configured one
     *                      does not cover it
     * @param dataDirectory where {@code tls/<domain>.crt} and {@code .key} are kept when self-signed
     * @throws IllegalArgumentException on a configuration error, with a message naming the setting and file
     */
    public static ServerCertificate load(ServerSettings.Tls tls, String domain, Path dataDirectory) {
        Path certFile = tls == null ? null : tls.certificateFile();
        Path keyFile = tls == null ? null : tls.keyFile();
        String password = tls == null ? null : tls.password();
        String host = hostName(domain);

        ServerCertificate result;
        if (certFile != null && isPkcs12(certFile)) {
            result = loadPkcs12(certFile, password);
        } else if (certFile != null && keyFile != null) {
            result = loadPem(certFile, keyFile, password);
        } else if (certFile != null) {
            throw new IllegalArgumentException("tls.key: must be set when tls.certificate is a PEM file (" + certFile + ")");
        } else if (keyFile != null) {
            throw new IllegalArgumentException("tls.certificate: must be set when tls.key is set (" + keyFile + ")");
        } else {
            return selfSigned(host, dataDirectory);
        }
        X509Certificate leaf = result.certificate();
        LOG.info("TLS certificate for {} from {}, valid until {}", leaf.getSubjectX500Principal().getName(), certFile,
                leaf.getNotAfter().toInstant());
        if (leaf.getNotAfter().before(new Date())) {
            LOG.warn("TLS certificate {} expired on {}", certFile, leaf.getNotAfter().toInstant());
        }
        if (!covers(leaf, host)) {
            LOG.warn("TLS certificate {} does not name the domain {}; clients will reject it", certFile, host);
        }
        return result;
    }

    private static boolean isPkcs12(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".p12") || name.endsWith(".pfx");
    }

    /** The first key entry of a PKCS#12 file. */
    private static ServerCertificate loadPkcs12(Path file, String password) {
        char[] pw = password == null ? new char[0] : password.toCharArray();
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, pw);
            for (Enumeration<String> aliases = store.aliases(); aliases.hasMoreElements(); ) {
                String alias = aliases.nextElement();
                if (store.isKeyEntry(alias)) {
                    PrivateKey key = (PrivateKey) store.getKey(alias, pw);
                    Certificate[] chain = store.getCertificateChain(alias);
                    List<X509Certificate> x509 = new ArrayList<>();
                    for (Certificate c : chain == null ? new Certificate[0] : chain) {
                        x509.add((X509Certificate) c);
                    }
                    if (x509.isEmpty()) {
                        break;
                    }
                    return new ServerCertificate(key, x509.toArray(X509Certificate[]::new));
                }
            }
            throw new IllegalArgumentException("tls.certificate: no private key with a certificate in " + file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("tls.certificate: file not found: " + file);
        } catch (UnrecoverableKeyException e) {
            throw new IllegalArgumentException("tls.password: wrong password for " + file);
        } catch (IOException e) {
            if (e.getCause() instanceof UnrecoverableKeyException) {
                throw new IllegalArgumentException("tls.password: wrong password for " + file);
            }
            throw new IllegalArgumentException("tls.certificate: cannot read PKCS#12 file " + file + ": " + e.getMessage());
        } catch (GeneralSecurityException | ClassCastException e) {
            throw new IllegalArgumentException("tls.certificate: cannot read PKCS#12 file " + file + ": " + e.getMessage());
        }
    }

    /** A PEM certificate chain (leaf first) and its PEM private key, checked to belong together. */
    private static ServerCertificate loadPem(Path certFile, Path keyFile, String password) {
        ServerCertificate result = JdkPem.read(certFile, keyFile);
        if (result == null) {
            result = BouncyCastlePem.loadPem(certFile, keyFile, password);
        }
        if (!matches(result.key(), result.certificate())) {
            throw new IllegalArgumentException(
                    "tls.key: private key " + keyFile + " does not match the certificate in " + certFile);
        }
        return result;
    }

    /**
     * For RSA, compares the modulus and public exponent (a CRT key carries both); otherwise signs with the key and
     * verifies with the certificate, which works for every key type without comparing fields.
     */
    static boolean matches(PrivateKey key, X509Certificate certificate) {
        if (key instanceof RSAPrivateCrtKey rsa && certificate.getPublicKey() instanceof RSAPublicKey pub) {
            return rsa.getModulus().equals(pub.getModulus()) && rsa.getPublicExponent().equals(pub.getPublicExponent());
        }
        String algorithm = switch (certificate.getPublicKey().getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            case "Ed448" -> "Ed448";
            default -> null;
        };
        if (algorithm == null) {
            LOG.debug("Cannot check {} key against certificate; assuming it matches", key.getAlgorithm());
            return true;
        }
        try {
            byte[] data = new byte[32];
            RANDOM.nextBytes(data);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(data);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(data);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** Reuses {@code <dataDirectory>/tls/<host>.crt/.key} when still valid for the host, else generates them. */
    private static ServerCertificate selfSigned(String host, Path dataDirectory) {
        Path dir = dataDirectory.resolve("tls");
        Path certFile = dir.resolve(host + ".crt");
        Path keyFile = dir.resolve(host + ".key");
        if (Files.exists(certFile) && Files.exists(keyFile)) {
            try {
                ServerCertificate existing = loadPem(certFile, keyFile, null);
                X509Certificate leaf = existing.certificate();
                if (leaf.getNotAfter().toInstant().isAfter(Instant.now()) && namesExactly(leaf, host)) {
                    // No fingerprint here: `parley run` prints both (SHA-256, SHA-1) in its summary.
                    LOG.info("Using self-signed TLS certificate {}, valid until {}", certFile,
                            leaf.getNotAfter().toInstant());
                    return existing;
                }
                LOG.info("Self-signed certificate {} expired or not for {}; generating a new one", certFile, host);
            } catch (IllegalArgumentException e) {
                LOG.warn("Cannot reuse self-signed certificate: {}; generating a new one", e.getMessage());
            }
        }
        try {
            // ECDSA P-256 rather than RSA-2048: as strong (NIST SP 800-57: 128 vs 112 bits), and the server signs
            // once per TLS handshake, which costs about half the CPU (measured with the JDK's providers).
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"), RANDOM);
            KeyPair keys = generator.generateKeyPair();
            Instant now = Instant.now();
            X509Certificate certificate = BouncyCastlePem.selfSign(keys, host, now.minus(Duration.ofHours(1)),
                    now.plus(VALIDITY));
            ServerCertificate result = new ServerCertificate(keys.getPrivate(), new X509Certificate[] {certificate});

            Files.createDirectories(dir);
            write(keyFile, pem("PRIVATE KEY", keys.getPrivate().getEncoded()), "rw-------");
            write(certFile, pem("CERTIFICATE", certificate.getEncoded()), "rw-r--r--");
            LOG.info("Generated self-signed TLS certificate {} for {}", certFile, host);
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write self-signed certificate to " + dir, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate a self-signed certificate", e);
        }
    }

    /**
     * A self-signed server certificate for {@code host}: SAN DNS:host and DNS:*.host (IP for an IPv4 domain;
     * plus 127.0.0.1 and ::1 for localhost), not a CA, key usage and EKU of a TLS server (RFC 5280 §4.2.1).
     */
    static X509Certificate selfSign(KeyPair keys, String host, Instant notBefore, Instant notAfter)
            throws GeneralSecurityException, IOException {
        return BouncyCastlePem.selfSign(keys, host, notBefore, notAfter);
    }

    /** The domain as the ASCII host name used in SANs and file names; rejects anything that is not one. */
    private static String hostName(String domain) {
        String host;
        try {
            host = IDN.toASCII(domain == null ? "" : domain).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            host = "";
        }
        if (!HOST.matcher(host).matches()) {
            throw new IllegalArgumentException("domain: '" + domain + "' is not a valid host name");
        }
        return host;
    }

    /** Whether the SAN lists exactly this host (DNS or IP); used to decide whether to regenerate. */
    private static boolean namesExactly(X509Certificate certificate, String host) {
        for (List<?> san : subjectAltNames(certificate)) {
            if (host.equalsIgnoreCase(String.valueOf(san.get(1)))) {
                return true;
            }
        }
        return false;
    }

    /** RFC 6125 §6.4: exact DNS name, or a wildcard in the left-most label only. */
    private static boolean covers(X509Certificate certificate, String host) {
        for (List<?> san : subjectAltNames(certificate)) {
            String name = String.valueOf(san.get(1)).toLowerCase(Locale.ROOT);
            int dot = host.indexOf('.');
            if (name.equals(host) || (name.startsWith("*.") && dot > 0 && name.substring(2).equals(host.substring(dot + 1)))) {
                return true;
            }
        }
        return false;
    }

    private static Collection<List<?>> subjectAltNames(X509Certificate certificate) {
        try {
            Collection<List<?>> names = certificate.getSubjectAlternativeNames();
            return names == null ? List.of() : names;
        } catch (CertificateParsingException e) {
            return List.of();
        }
    }

    /** RFC 7468 textual encoding, 64 characters per line, as OpenSSL and Bouncy Castle write it. */
    private static String pem(String label, byte[] der) {
        String base64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + label + "-----\n" + base64 + "\n-----END " + label + "-----\n";
    }

    /** Writes via a temporary file so a crash never leaves half a key; POSIX permissions where supported. */
    private static void write(Path target, String content, String permissions) throws IOException {
        Path temp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".tmp");
        try {
            Files.writeString(temp, content, StandardCharsets.US_ASCII);
            if (Files.getFileAttributeView(temp, PosixFileAttributeView.class) != null) {
                Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString(permissions));
            }
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
