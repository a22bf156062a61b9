package org.parley.server.tls;

import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

import javax.net.ssl.SSLException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.IdentityCipherSuiteFilter;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslCachingX509KeyManagerFactory;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

/**
 * The server side TLS context of the XMPP listeners (TLS 1.3 and 1.2, Netty's default cipher suites), built from
 * the JDK's {@link SSLContext} directly rather than with Netty's {@code SslContextBuilder.forServer(key, chain)}.
 * That builder costs several hundred milliseconds of start-up CPU for nothing we use: its first use runs a
 * self-test in {@code JdkSslServerContext}'s class initialiser (decoding a built-in test key, through
 * Bouncy Castle when that is on the classpath, whose signed jars are then verified), and it puts the key into a
 * PKCS#12 key store, whose PBKDF2 key protection is paid twice (store and load).
 *
 * <p>When Netty's BoringSSL (netty-tcnative-boringssl-static) loads on this platform, the XMPP listeners use it
 * instead (issue 18: a TLS handshake costs far less CPU there than in the JDK's provider); otherwise one line is
 * logged and the JDK's provider serves. Both resume sessions (RFC 8446 §2.2): BoringSSL with session tickets
 * under keys it generates and rotates in memory plus its server-side cache, the JDK with its session cache and
 * stateless tickets ({@code jdk.tls.server.enableSessionTicketExtension}, on by default since JDK 13).
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

    private static final Logger LOG = LoggerFactory.getLogger(ServerTls.class);

    /** Sessions the server side cache keeps for resumption; a session is ~1 KiB in either provider. */
    static final long SESSION_CACHE_SIZE = 20_000;

    /** How long a session can be resumed (the JDK's and BoringSSL's defaults are 24 h and 5 min). */
    static final long SESSION_TIMEOUT_SECONDS = 3_600;

    /** Which TLS implementation the XMPP listeners use. */
    public enum Provider {
        /** BoringSSL through netty-tcnative, when its native library loads. */
        OPENSSL,
        /** The JDK's SunJSSE. */
        JDK
    }

    /**
     * A Netty server context presenting {@code certificate}; no client certificates are asked for. BoringSSL when
     * it is available (see the class comment), the JDK's provider otherwise.
     */
    public static SslContext nettyServerContext(ServerCertificate certificate) throws GeneralSecurityException {
        return nettyServerContext(certificate, OpenSsl.isAvailable() ? Provider.OPENSSL : Provider.JDK);
    }

    /** As above with the given provider; {@link Provider#OPENSSL} falls back to the JDK when it cannot load. */
    public static SslContext nettyServerContext(ServerCertificate certificate, Provider provider)
            throws GeneralSecurityException {
        if (provider == Provider.OPENSSL) {
            if (OpenSsl.isAvailable()) {
                try {
                    // The key manager from our in-memory JKS store, cached as BoringSSL key material once:
                    // forServer(key, chain) would build a PKCS#12 store (PBKDF2 twice), and an uncached key manager
                    // converts the key to PEM on every handshake. The trust material is our own certificate, never
                    // consulted (no client certificates) — it spares loading the JDK's CA store at start.
                    SslContext context = SslContextBuilder
                            .forServer(new OpenSslCachingX509KeyManagerFactory(keyManagers(certificate)))
                            .trustManager(certificate.certificate())
                            .sslProvider(SslProvider.OPENSSL)
                            .protocols(PROTOCOLS)
                            .clientAuth(ClientAuth.NONE)
                            .applicationProtocolConfig(ALPN)
                            .sessionCacheSize(SESSION_CACHE_SIZE)
                            .sessionTimeout(SESSION_TIMEOUT_SECONDS)
                            .build();
                    // Netty turns tickets off by default (SSL_OP_NO_TICKET); without keys given, BoringSSL
                    // generates the ticket keys itself and rotates them (they never leave the process).
                    ((OpenSslSessionContext) context.sessionContext()).setTicketKeys();
                    return context;
                } catch (SSLException e) {
                    LOG.warn("TLS: BoringSSL refused the certificate ({}); using the JDK's TLS provider", e.toString());
                }
            } else {
                Throwable why = OpenSsl.unavailabilityCause();
                LOG.info("TLS: the JDK's TLS provider (netty-tcnative BoringSSL not available here: {})",
                        why == null ? "unknown reason" : why.toString());
            }
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers(certificate).getKeyManagers(), null, null);
        context.getServerSessionContext().setSessionCacheSize((int) SESSION_CACHE_SIZE);
        context.getServerSessionContext().setSessionTimeout((int) SESSION_TIMEOUT_SECONDS);
        return new JdkSslContext(context, false, null, IdentityCipherSuiteFilter.INSTANCE,
                ALPN, ClientAuth.NONE, PROTOCOLS.toArray(String[]::new), false);
    }

    /**
     * Loads BoringSSL (extracting and linking the native library, Netty's probe of its ciphers) on a daemon thread,
     * so that it overlaps with the rest of start-up instead of sitting on the path to the first login; the listener's
     * context then finds it ready (class initialisation is done once, whoever starts it).
     */
    public static void prepareInBackground() {
        Thread thread = new Thread(OpenSsl::isAvailable, "parley-tls-init");
        thread.setDaemon(true);
        thread.start();
    }

    /** The provider a context from {@link #nettyServerContext} uses. */
    public static Provider providerOf(SslContext context) {
        return context instanceof JdkSslContext ? Provider.JDK : Provider.OPENSSL;
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
