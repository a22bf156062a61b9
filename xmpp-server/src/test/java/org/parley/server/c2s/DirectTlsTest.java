package org.parley.server.c2s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import javax.net.SocketFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import org.jivesoftware.smack.ConnectionConfiguration.SecurityMode;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.MessageBuilder;
import org.jivesoftware.smack.chat2.ChatManager;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.ping.PingManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

/**
 * Direct TLS (XEP-0368, XEP-0479 Core "Direct TLS" for an Advanced Server): a Smack client whose socket is TLS
 * from the first byte, offering ALPN {@code xmpp-client} and SNI as §3 says, logs in on {@code
 * c2s.direct-tls-port} and chats; the server selects {@code xmpp-client}. Clients that offer another ALPN
 * protocol still connect (the server then just does not answer ALPN).
 */
class DirectTlsTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("alice", "bob");

    /** Smack's XMPPTCPConnection over a socket factory that makes TLS sockets with XEP-0368's ALPN and SNI. */
    private static final class DirectTlsSockets extends SocketFactory {
        final AtomicReference<SSLSocket> last = new AtomicReference<>();
        private final List<String> alpn;

        DirectTlsSockets(List<String> alpn) {
            this.alpn = alpn;
        }

        @Override
        public Socket createSocket() throws IOException {
            SSLSocket socket = (SSLSocket) server.clientSslContext().getSocketFactory().createSocket();
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setApplicationProtocols(alpn.toArray(String[]::new));
            parameters.setServerNames(List.of(new SNIHostName("localhost")));
            socket.setSSLParameters(parameters);
            last.set(socket);
            return socket;
        }

        @Override
        public Socket createSocket(String host, int port) {
            throw new UnsupportedOperationException("Smack connects an unconnected socket");
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress local, int localPort) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Socket createSocket(InetAddress host, int port) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress local, int localPort) {
            throw new UnsupportedOperationException();
        }
    }

    private static XMPPTCPConnection directTls(String user, DirectTlsSockets sockets) throws Exception {
        // SecurityMode.disabled: the stream runs inside TLS already, so there is no STARTTLS to negotiate.
        return TestServer.login(server.config(user).setPort(server.server().directTlsPort())
                .setSecurityMode(SecurityMode.disabled).setSocketFactory(sockets).build());
    }

    @Test
    void xep0368_3_aSmackClientOfferingAlpnXmppClientLogsInAndChats() throws Exception {
        DirectTlsSockets sockets = new DirectTlsSockets(List.of("xmpp-client"));
        XMPPTCPConnection alice = directTls("alice", sockets);
        XMPPTCPConnection bob = server.login("bob");
        try {
            SSLSocket socket = sockets.last.get();
            assertNotNull(socket);
            assertEquals("xmpp-client", socket.getApplicationProtocol(), "the server selected xmpp-client");
            assertTrue(socket.getSession().getProtocol().startsWith("TLSv1."), socket.getSession().getProtocol());
            assertTrue(PingManager.getInstanceFor(alice).pingMyServer(true, 10_000));

            CompletableFuture<String> received = new CompletableFuture<>();
            ChatManager.getInstanceFor(bob).addIncomingListener((from, message, chat) -> received.complete(
                    from + ": " + message.getBody()));
            Message m = MessageBuilder.buildMessage().to(bob.getUser()) // full JID: bob sent no presence
                    .ofType(Message.Type.chat).setBody("over direct TLS").build();
            alice.sendStanza(m);
            assertEquals("alice@localhost: over direct TLS", received.get(10, TimeUnit.SECONDS));
        } finally {
            alice.disconnect();
            bob.disconnect();
        }
    }

    @Test
    void xep0368_aClientOfferingAnotherAlpnProtocolStillConnects() throws Exception {
        DirectTlsSockets sockets = new DirectTlsSockets(List.of("h2", "http/1.1"));
        XMPPTCPConnection alice = directTls("alice", sockets);
        try {
            assertTrue(alice.isAuthenticated());
            String selected = sockets.last.get().getApplicationProtocol();
            assertTrue(selected == null || selected.isEmpty(), "no ALPN answer, not a wrong one: " + selected);
        } finally {
            alice.disconnect();
        }
    }

    @Test
    void xep0368_aClientWithoutAlpnStillConnects() throws Exception {
        try (RawClient client = RawClient.directTls(server.server().directTlsPort(), server.clientSslContext())) {
            String features = client.openStream().await("</stream:features>");
            assertTrue(features.contains("SCRAM-SHA-256") && !features.contains("starttls"), features);
        }
    }
}
