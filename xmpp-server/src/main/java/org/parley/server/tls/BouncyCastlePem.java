package org.parley.server.tls;

import java.io.IOException;
import java.io.Reader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.regex.Pattern;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMDecryptorProviderBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCSException;

/**
 * The parts of {@link CertificateManager} that need Bouncy Castle: PEM files the JDK cannot read by itself
 * (PKCS#1 and SEC1 keys, encrypted keys) and building the self-signed certificate on a first start. Kept in
 * their own class so that a normal start, which reads an unencrypted PKCS#8 key and certificates with the JDK
 * alone, never loads Bouncy Castle: its jars are signed, and verifying them costs about 0.3 s of CPU.
 */
final class BouncyCastlePem {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private BouncyCastlePem() {
    }

    /** A PEM certificate chain (leaf first) and its PEM private key (not yet checked to belong together). */
    static ServerCertificate loadPem(Path certFile, Path keyFile, String password) {
        List<X509Certificate> chain = new ArrayList<>();
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        readPem(certFile, "tls.certificate", object -> {
            if (object instanceof X509CertificateHolder holder) {
                chain.add(converter.getCertificate(holder));
            }
            return false;
        });
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("tls.certificate: no PEM certificate in " + certFile);
        }
        PrivateKey[] key = new PrivateKey[1];
        readPem(keyFile, "tls.key", object -> {
            key[0] = privateKey(object, keyFile, password);
            return key[0] != null;
        });
        if (key[0] == null) {
            throw new IllegalArgumentException("tls.key: no PEM private key in " + keyFile);
        }
        return new ServerCertificate(key[0], chain.toArray(X509Certificate[]::new));
    }


    /** PKCS#8 ("PRIVATE KEY"), PKCS#1 RSA / SEC1 EC key pairs, and their encrypted forms; null for other PEM objects. */
    private static PrivateKey privateKey(Object object, Path keyFile, String password) throws Exception {
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        if (object instanceof PrivateKeyInfo info) {
            return converter.getPrivateKey(info);
        }
        if (object instanceof PEMKeyPair pair) {
            return converter.getPrivateKey(pair.getPrivateKeyInfo()); // SEC1 keys may omit the public key
        }
        if (object instanceof PEMEncryptedKeyPair || object instanceof PKCS8EncryptedPrivateKeyInfo) {
            if (password == null) {
                throw new IllegalArgumentException("tls.password: must be set, " + keyFile + " is encrypted");
            }
            try {
                if (object instanceof PEMEncryptedKeyPair encrypted) {
                    return converter.getPrivateKey(encrypted.decryptKeyPair(
                            new JcePEMDecryptorProviderBuilder().setProvider(new BouncyCastleProvider())
                                    .build(password.toCharArray())).getPrivateKeyInfo());
                }
                return converter.getPrivateKey(((PKCS8EncryptedPrivateKeyInfo) object).decryptPrivateKeyInfo(
                        new JceOpenSSLPKCS8DecryptorProviderBuilder().setProvider(new BouncyCastleProvider())
                                .build(password.toCharArray())));
            } catch (IOException | PKCSException e) {
                throw new IllegalArgumentException("tls.password: wrong password for " + keyFile);
            }
        }
        return null;
    }

    @FunctionalInterface
    private interface PemVisitor {
        /** @return true to stop reading */
        boolean visit(Object object) throws Exception;
    }

    private static void readPem(Path file, String setting, PemVisitor visitor) {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1);
             PEMParser parser = new PEMParser(reader)) {
            for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
                if (visitor.visit(o)) {
                    return;
                }
            }
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(setting + ": file not found: " + file);
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalArgumentException(setting + ": unreadable PEM in " + file + ": " + e.getMessage());
        }
    }

    /**
     * A self-signed server certificate for {@code host}: SAN DNS:host and DNS:*.host (IP for an IPv4 domain;
     * plus 127.0.0.1 and ::1 for localhost), not a CA, key usage and EKU of a TLS server (RFC 5280 §4.2.1).
     */
    static X509Certificate selfSign(KeyPair keys, String host, Instant notBefore, Instant notAfter)
            throws GeneralSecurityException, IOException {
        X500Name name = new X500Name("CN=" + host);
        BigInteger serial = new BigInteger(64, RANDOM).add(BigInteger.ONE);
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial, Date.from(notBefore),
                Date.from(notAfter), name, keys.getPublic());
        List<GeneralName> names = new ArrayList<>();
        if (IPV4.matcher(host).matches()) {
            names.add(new GeneralName(GeneralName.iPAddress, host));
        } else {
            names.add(new GeneralName(GeneralName.dNSName, host));
            names.add(new GeneralName(GeneralName.dNSName, "*." + host));
        }
        if (host.equals("localhost")) {
            names.add(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
            names.add(new GeneralName(GeneralName.iPAddress, "::1"));
        }
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)))
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                // An RSA key may also carry the key exchange of TLS 1.2's RSA suites; an EC key only signs (RFC 5480 §3).
                .addExtension(Extension.keyUsage, true, new KeyUsage(keys.getPublic().getAlgorithm().equals("RSA")
                        ? KeyUsage.digitalSignature | KeyUsage.keyEncipherment : KeyUsage.digitalSignature))
                .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                .addExtension(Extension.subjectKeyIdentifier, false,
                        new JcaX509ExtensionUtils().createSubjectKeyIdentifier(keys.getPublic()));
        String algorithm = keys.getPublic().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
        try {
            return new JcaX509CertificateConverter()
                    .getCertificate(builder.build(new JcaContentSignerBuilder(algorithm).build(keys.getPrivate())));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("cannot sign the certificate: " + e.getMessage(), e);
        }
    }

}
