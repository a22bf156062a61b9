package org.parley.server.tls;

import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.IdentityCipherSuiteFilter;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContext;

/**
 * The server side TLS context of the XMPP listeners (TLS 1.3 and 1.2, Netty's default cipher suites), built from
 * the JDK's {@link SSLContext} directly rather than with Netty's {@code SslContextBuilder.forServer(key, chain)}.
 * That builder costs several hundred milliseconds of start-up CPU for nothing we use: its first use runs a
 * self-test in {@code JdkSslServerContext}'s class initialiser (decoding a built-in test key, through
 * Bouncy Castle when that is on the classpath, whose signed jars are then verified), and it puts the key into a
 * PKCS#12 key store, whose PBKDF2 key protection is paid twice (store and load).
 */
public final class ServerTls {

    private static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    /**
     * XEP-0368 §3: Direct TLS clients offer the ALPN protocol {@code xmpp-client}, which lets one port (443
     * behind an ALPN-routing proxy such as sslh or HAProxy) carry both HTTPS and XMPP. The server selects it
     * when offered; a client that offers something else or nothing gets no ALPN answer and goes on.
     */
    public static final String ALPN_CLIENT = "xmpp-client";

    private static final ApplicationProtocolConfig ALPN = new ApplicationProtocolConfig(
            ApplicationProtocolConfig.Protocol.ALPN, ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, ALPN_CLIENT);

    private ServerTls() {
    }

    /** A Netty server context presenting {@code certificate}; no client certificates are asked for. */
    public static SslContext nettyServerContext(ServerCertificate certificate) throws GeneralSecurityException {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers(certificate).getKeyManagers(), null, null);
        return new JdkSslContext(context, false, null, IdentityCipherSuiteFilter.INSTANCE,
                ALPN, ClientAuth.NONE, PROTOCOLS.toArray(String[]::new), false);
    }

    /**
     * The JDK's default key manager over an in-memory JKS store: JKS protects the key with a cheap obfuscation
     * (this store never leaves memory) where PKCS#12 would run PBKDF2 on store and again on load.
     */
    static KeyManagerFactory keyManagers(ServerCertificate certificate) throws GeneralSecurityException {
        char[] password = "parley".toCharArray(); // in memory only
        KeyStore store = KeyStore.getInstance("JKS");
        try {
            store.load(null, null);
        } catch (java.io.IOException e) {
            throw new java.security.KeyStoreException("cannot create an empty key store", e);
        }
        store.setKeyEntry("parley", certificate.key(), password, certificate.chain());
        KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        factory.init(store, password);
        return factory;
    }
}
