package org.parley.server.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;

/**
 * The XMPP listeners' TLS (issue 18): BoringSSL through netty-tcnative on this platform, TLS 1.3, and session
 * resumption (RFC 8446 §2.2) for Direct TLS (XEP-0368) and STARTTLS (RFC 6120 §5) alike.
 */
class TlsProviderTest {

    @RegisterExtension
    static final TestServer SERVER = TestServer.withUsers("alice");

    @Test
    void boringSslServesTheListeners_whereItsNativeLibraryLoads() {
        // The build depends on the linux-x86_64 native library; if it cannot load here the fallback works, but
        // then this platform loses the cheaper handshake and that should be seen, not hidden.
        assertTrue(OpenSsl.isAvailable(), "netty-tcnative did not load: " + OpenSsl.unavailabilityCause());
        assertEquals(ServerTls.Provider.OPENSSL, ServerTls.providerOf(SERVER.server().tlsContext()));
    }

    @Test
    void laterConnectionsResumeTheSession_directTlsAndStarttls() throws Exception {
        SSLContext client = SERVER.clientSslContext(); // one client context: its session cache keeps the ticket
        List<Long> created = new ArrayList<>();
        List<String> protocols = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            try (RawClient c = RawClient.directTls(SERVER.server().directTlsPort(), client)) {
                // Reading the stream features also reads the TLS 1.3 NewSessionTicket sent after the handshake.
                c.openStream().await("</stream:features>");
                protocols.add(c.negotiatedProtocol());
                created.add(c.tlsSession().getCreationTime());
            }
        }
        for (int i = 0; i < 2; i++) {
            try (RawClient c = new RawClient(SERVER.server().c2sPort())) {
                c.openStream().await("</stream:features>");
                c.clear();
                c.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>").await("<proceed");
                c.upgradeToTls(client);
                c.openStream().await("</stream:features>");
                protocols.add(c.negotiatedProtocol());
                created.add(c.tlsSession().getCreationTime());
            }
        }
        assertEquals(List.of("TLSv1.3", "TLSv1.3", "TLSv1.3", "TLSv1.3"), protocols);
        // A resumed session (RFC 8446 §2.2, PSK from the ticket) is the first session continued: the JDK client
        // keeps its creation time. The JDK client caches sessions per host and port, so the STARTTLS port has its own.
        assertEquals(created.get(0), created.get(1), "Direct TLS resumed");
        assertEquals(created.get(2), created.get(3), "STARTTLS resumed");
    }

    @Test
    void aClientWithoutTheTicket_getsAFullHandshake() throws Exception {
        // The control for the test above: fresh client contexts never share a session.
        long first;
        try (RawClient c = RawClient.directTls(SERVER.server().directTlsPort(), SERVER.clientSslContext())) {
            c.openStream().await("</stream:features>");
            first = c.tlsSession().getCreationTime();
        }
        while (System.currentTimeMillis() <= first) { // creation times have millisecond resolution
            Thread.onSpinWait();
        }
        try (RawClient c = RawClient.directTls(SERVER.server().directTlsPort(), SERVER.clientSslContext())) {
            c.openStream().await("</stream:features>");
            assertTrue(c.tlsSession().getCreationTime() > first);
        }
    }

    @Test
    void jdkProvider_servesWhenAskedFor_withTls13And12Only(@TempDir Path dir) throws Exception {
        ServerCertificate certificate = CertificateManager.load(null, "localhost", dir);
        SslContext jdk = ServerTls.nettyServerContext(certificate, ServerTls.Provider.JDK);
        assertEquals(ServerTls.Provider.JDK, ServerTls.providerOf(jdk));
        SSLEngine engine = jdk.newEngine(ByteBufAllocator.DEFAULT);
        // SSLv2Hello is the JDK's name for accepting an SSLv2-format ClientHello, not a protocol it negotiates.
        assertEquals(Set.of("TLSv1.3", "TLSv1.2"), Set.of(engine.getEnabledProtocols()).stream()
                .filter(p -> !p.equals("SSLv2Hello")).collect(java.util.stream.Collectors.toSet()));
        SslContext native_ = ServerTls.nettyServerContext(certificate, ServerTls.Provider.OPENSSL);
        SSLEngine boring = native_.newEngine(ByteBufAllocator.DEFAULT);
        assertEquals(Set.of("TLSv1.3", "TLSv1.2"), Set.of(boring.getEnabledProtocols()).stream()
                .filter(p -> !p.equals("SSLv2Hello")).collect(java.util.stream.Collectors.toSet()));
        ReferenceCountUtil.release(boring);
    }
}
