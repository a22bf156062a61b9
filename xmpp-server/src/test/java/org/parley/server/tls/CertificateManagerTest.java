package org.parley.server.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.server.config.ServerSettings.Tls;

class CertificateManagerTest {

    private static final Tls NONE = new Tls(null, null, null);

    @TempDir
    Path dir;

    @Test
    void generatesSelfSignedOnceAndReusesIt() throws Exception {
        ServerCertificate first = CertificateManager.load(NONE, "Example.ORG", dir);
        X509Certificate cert = first.certificate();
        assertEquals(-1, cert.getBasicConstraints());
        assertEquals(List.of("1.3.6.1.5.5.7.3.1"), cert.getExtendedKeyUsage());
        assertTrue(cert.getKeyUsage()[0] && !cert.getKeyUsage()[2]); // digitalSignature only: an EC key signs
        assertEquals(Set.of("example.org", "*.example.org"), sanValues(cert));
        assertEquals("EC", first.key().getAlgorithm());
        assertEquals("secp256r1", ((ECPrivateKey) first.key()).getParams().toString().split(" ")[0]);
        long days = Duration.between(Instant.now(), cert.getNotAfter().toInstant()).toDays();
        assertTrue(days >= 823 && days <= 825, "valid ~825 days: " + days);
        assertTrue(first.sha256Fingerprint().matches("([0-9A-F]{2}:){31}[0-9A-F]{2}"));

        Path keyFile = dir.resolve("tls/example.org.key");
        assertTrue(Files.exists(dir.resolve("tls/example.org.crt")));
        assertTrue(Files.readString(keyFile).startsWith("-----BEGIN PRIVATE KEY-----"));
        if (Files.getFileAttributeView(keyFile, PosixFileAttributeView.class) != null) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)));
        }

        ServerCertificate second = CertificateManager.load(NONE, "example.org", dir);
        assertEquals(first.sha256Fingerprint(), second.sha256Fingerprint());
        assertEquals(first.key(), second.key());
    }

    @Test
    void localhostGetsLoopbackAddresses() throws Exception {
        X509Certificate cert = CertificateManager.load(NONE, "localhost", dir).certificate();
        Set<String> sans = sanValues(cert);
        assertTrue(sans.containsAll(Set.of("localhost", "*.localhost", "127.0.0.1")), sans.toString());
        assertTrue(sans.stream().anyMatch(s -> s.startsWith("0:0:0:0:0:0:0:1")), sans.toString());
    }

    @Test
    void regeneratesWhenExpiredOrForAnotherDomain() throws Exception {
        KeyPair keys = rsa();
        Path tls = Files.createDirectories(dir.resolve("tls"));
        X509Certificate expired = CertificateManager.selfSign(keys, "example.org",
                Instant.now().minus(Duration.ofDays(10)), Instant.now().minus(Duration.ofDays(1)));
        writePem(tls.resolve("example.org.crt"), expired);
        writePem(tls.resolve("example.org.key"), new JcaPKCS8Generator(keys.getPrivate(), null));
        ServerCertificate regenerated = CertificateManager.load(NONE, "example.org", dir);
        assertNotEquals(expired, regenerated.certificate());

        X509Certificate other = CertificateManager.selfSign(keys, "other.org", Instant.now(),
                Instant.now().plus(Duration.ofDays(10)));
        writePem(tls.resolve("example.org.crt"), other);
        writePem(tls.resolve("example.org.key"), new JcaPKCS8Generator(keys.getPrivate(), null));
        assertEquals(Set.of("example.org", "*.example.org"),
                sanValues(CertificateManager.load(NONE, "example.org", dir).certificate()));
    }

    @Test
    void pemPairRoundTripWithPkcs1AndPkcs8Keys() throws Exception {
        ServerCertificate generated = CertificateManager.load(NONE, "example.org", dir);
        Path fullchain = dir.resolve("fullchain.pem");
        Path privkey = dir.resolve("privkey.pem");
        writePem(fullchain, generated.certificate());

        Files.copy(dir.resolve("tls/example.org.key"), privkey); // PKCS#8
        assertEquals(generated, CertificateManager.load(new Tls(fullchain, privkey, null), "example.org", dir));

        // An RSA pair, as many ACME clients still issue: JcaPEMWriter writes RSA keys as PKCS#1.
        KeyPair rsa = rsa();
        X509Certificate rsaCert = CertificateManager.selfSign(rsa, "example.org", Instant.now(),
                Instant.now().plus(Duration.ofDays(90)));
        assertTrue(rsaCert.getKeyUsage()[0] && rsaCert.getKeyUsage()[2]); // digitalSignature, keyEncipherment
        writePem(fullchain, rsaCert);
        writePem(privkey, rsa.getPrivate());
        assertTrue(Files.readString(privkey).startsWith("-----BEGIN RSA PRIVATE KEY-----"));
        ServerCertificate loaded = CertificateManager.load(new Tls(fullchain, privkey, null), "example.org", dir);
        assertEquals("RSA", loaded.key().getAlgorithm());
        assertEquals(rsaCert, loaded.certificate());
    }

    @Test
    void ecKeyAndEncryptedPkcs8() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        KeyPair keys = generator.generateKeyPair();
        X509Certificate cert = CertificateManager.selfSign(keys, "example.org", Instant.now(),
                Instant.now().plus(Duration.ofDays(90)));
        Path certFile = dir.resolve("ec.crt");
        Path keyFile = dir.resolve("ec.key");
        writePem(certFile, cert);
        // SEC1 "EC PRIVATE KEY" with the curve inside, as openssl writes it (BouncyCastle's encoding has it).
        writePem(keyFile, KeyFactory.getInstance("EC", new BouncyCastleProvider())
                .generatePrivate(new PKCS8EncodedKeySpec(keys.getPrivate().getEncoded())));
        assertTrue(Files.readString(keyFile).startsWith("-----BEGIN EC PRIVATE KEY-----"));
        ServerCertificate loaded = CertificateManager.load(new Tls(certFile, keyFile, null), "example.org", dir);
        assertEquals(scalar(keys.getPrivate()), scalar(loaded.key()));

        writePem(keyFile, new JcaPKCS8Generator(keys.getPrivate(),
                new JceOpenSSLPKCS8EncryptorBuilder(JcaPKCS8Generator.AES_256_CBC).setProvider(new BouncyCastleProvider())
                        .setPassword("s3cret".toCharArray()).build()));
        assertEquals(scalar(keys.getPrivate()),
                scalar(CertificateManager.load(new Tls(certFile, keyFile, "s3cret"), "example.org", dir).key()));
        assertEquals("tls.password: wrong password for " + keyFile, message(new Tls(certFile, keyFile, "wrong")));
        assertEquals("tls.password: must be set, " + keyFile + " is encrypted", message(new Tls(certFile, keyFile, null)));
    }

    @Test
    void pkcs12RoundTripAndWrongPassword() throws Exception {
        ServerCertificate generated = CertificateManager.load(NONE, "example.org", dir);
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setCertificateEntry("ca-like", generated.certificate());
        store.setKeyEntry("server", generated.key(), "changeit".toCharArray(), generated.chain());
        Path p12 = dir.resolve("server.p12");
        try (OutputStream out = Files.newOutputStream(p12)) {
            store.store(out, "changeit".toCharArray());
        }
        assertEquals(generated, CertificateManager.load(new Tls(p12, null, "changeit"), "example.org", dir));
        assertEquals("tls.password: wrong password for " + p12, message(new Tls(p12, null, "nope")));
        Path pfx = dir.resolve("missing.pfx");
        assertEquals("tls.certificate: file not found: " + pfx, message(new Tls(pfx, null, "changeit")));
    }

    @Test
    void keyNotMatchingCertificate() throws Exception {
        ServerCertificate a = CertificateManager.load(NONE, "a.example", dir);
        CertificateManager.load(NONE, "b.example", dir);
        Path cert = dir.resolve("tls/a.example.crt");
        Path key = dir.resolve("tls/b.example.key");
        assertEquals("tls.key: private key " + key + " does not match the certificate in " + cert,
                message(new Tls(cert, key, null)));
        assertEquals("a.example", a.certificate().getSubjectX500Principal().getName().substring(3));
    }

    @Test
    void configurationErrorsNameTheSetting() throws Exception {
        Path cert = dir.resolve("nope.pem");
        Path key = dir.resolve("nope.key");
        assertEquals("tls.certificate: file not found: " + cert, message(new Tls(cert, key, null)));
        assertEquals("tls.key: must be set when tls.certificate is a PEM file (" + cert + ")",
                message(new Tls(cert, null, null)));
        assertEquals("tls.certificate: must be set when tls.key is set (" + key + ")", message(new Tls(null, key, null)));

        Files.writeString(cert, "not a certificate\n");
        assertEquals("tls.certificate: no PEM certificate in " + cert, message(new Tls(cert, key, null)));
        Files.writeString(cert, "-----BEGIN CERTIFICATE-----\nAAAA!!!\n-----END CERTIFICATE-----\n");
        assertTrue(message(new Tls(cert, key, null)).startsWith("tls.certificate: unreadable PEM in " + cert));

        CertificateManager.load(NONE, "example.org", dir);
        Files.copy(dir.resolve("tls/example.org.crt"), cert, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertEquals("tls.key: file not found: " + key, message(new Tls(cert, key, null)));
        Files.writeString(key, "");
        assertEquals("tls.key: no PEM private key in " + key, message(new Tls(cert, key, null)));
        assertFalse(message(new Tls(cert, key, null)).contains("\n"));

        assertThrows(IllegalArgumentException.class, () -> CertificateManager.load(NONE, "../etc", dir));
    }

    private String message(Tls tls) {
        return assertThrows(IllegalArgumentException.class, () -> CertificateManager.load(tls, "example.org", dir))
                .getMessage();
    }

    private static Set<String> sanValues(X509Certificate cert) throws Exception {
        return cert.getSubjectAlternativeNames().stream().map(l -> String.valueOf(l.get(1)))
                .collect(Collectors.toSet());
    }

    private static BigInteger scalar(PrivateKey key) {
        return ((ECPrivateKey) key).getS();
    }

    private static KeyPair rsa() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return generator.generateKeyPair();
    }

    private static void writePem(Path file, Object object) throws Exception {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(object);
        }
        Files.writeString(file, out.toString());
    }
}
