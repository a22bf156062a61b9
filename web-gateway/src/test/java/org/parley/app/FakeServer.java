package org.parley.app;

import java.math.BigInteger;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.parley.server.config.ServerSettings;

/** A {@link ServerHandle} that binds nothing, reporting fixed ports and a self-signed certificate. */
final class FakeServer implements ServerHandle {

    final ServerSettings settings;
    final X509Certificate certificate;
    boolean closed;

    FakeServer(ServerSettings settings) throws Exception {
        this.settings = settings;
        this.certificate = selfSigned(settings.domain());
    }

    @Override
    public String domain() {
        return settings.domain();
    }

    @Override
    public int c2sPort() {
        return settings.c2s().port() == 0 ? 40001 : settings.c2s().port();
    }

    @Override
    public int directTlsPort() {
        return settings.c2s().directTlsPort();
    }

    @Override
    public Path dataDirectory() {
        return settings.dataDirectory();
    }

    @Override
    public X509Certificate certificate() {
        return certificate;
    }

    @Override
    public void close() {
        closed = true;
    }

    static X509Certificate selfSigned(String domain) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        KeyPair keys = generator.generateKeyPair();
        X500Name name = new X500Name("CN=" + domain);
        Instant now = Instant.now();
        var builder = new JcaX509v3CertificateBuilder(name, BigInteger.ONE, Date.from(now),
                Date.from(now.plus(1, ChronoUnit.DAYS)), name, keys.getPublic());
        return new JcaX509CertificateConverter()
                .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
    }
}
