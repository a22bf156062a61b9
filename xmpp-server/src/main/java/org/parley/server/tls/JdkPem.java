package org.parley.server.tls;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the common PEM pair with the JDK alone: certificates ({@code CERTIFICATE}) and an unencrypted PKCS#8 key
 * ({@code PRIVATE KEY}), which is what the self-signed certificate's files and most ACME clients' files are.
 * Anything else (PKCS#1 or SEC1 keys, encrypted keys, unreadable or missing files) is left to
 * {@link BouncyCastlePem}, which also produces the error messages.
 */
final class JdkPem {

    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]*?)-----END \\1-----");

    private JdkPem() {
    }

    /** The chain and key, or null when Bouncy Castle has to read these files. */
    static ServerCertificate read(Path certFile, Path keyFile) {
        try {
            List<X509Certificate> chain = new ArrayList<>();
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            Matcher m = BLOCK.matcher(Files.readString(certFile, StandardCharsets.ISO_8859_1));
            while (m.find()) {
                if (!m.group(1).equals("CERTIFICATE")) {
                    return null;
                }
                chain.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(decode(m.group(2)))));
            }
            if (chain.isEmpty()) {
                return null;
            }
            m = BLOCK.matcher(Files.readString(keyFile, StandardCharsets.ISO_8859_1));
            if (!m.find() || !m.group(1).equals("PRIVATE KEY")) {
                return null;
            }
            String algorithm = chain.get(0).getPublicKey().getAlgorithm();
            PrivateKey key = KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(decode(m.group(2))));
            return new ServerCertificate(key, chain.toArray(X509Certificate[]::new));
        } catch (Exception e) {
            return null;
        }
    }

    private static byte[] decode(String base64) {
        return Base64.getMimeDecoder().decode(base64);
    }
}
