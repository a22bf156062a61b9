package org.parley.server.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.bytestreams.BytestreamSession;
import org.jivesoftware.smackx.bytestreams.socks5.Socks5BytestreamManager;
import org.jivesoftware.smackx.bytestreams.socks5.Socks5Proxy;
import org.jivesoftware.smackx.disco.ServiceDiscoveryManager;
import org.jivesoftware.smackx.disco.packet.DiscoverInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.impl.JidCreate;
import org.parley.server.testing.TestServer;

/** SOCKS5 Bytestreams proxy (XEP-0065): end to end with Smack, and the relay's limits with raw sockets. */
class Socks5ProxyTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("alice", "bob");

    /** §4 disco, §6.3 streamhost, activation and relay: Smack sends 1 MiB through proxy.localhost. */
    @Test
    void smackTransfersAFileThroughTheProxy() throws Exception {
        Socks5Proxy.setLocalSocks5ProxyEnabled(false); // Smack's own streamhost would bypass the proxy
        XMPPTCPConnection alice = server.login("alice", "sender");
        XMPPTCPConnection bob = server.login("bob", "receiver");
        try {
            DiscoverInfo info = ServiceDiscoveryManager.getInstanceFor(alice).discoverInfo(JidCreate.from("proxy.localhost"));
            assertTrue(info.hasIdentity("proxy", "bytestreams"), info.toXML().toString());
            assertTrue(info.containsFeature("http://jabber.org/protocol/bytestreams"));

            byte[] file = new byte[1024 * 1024];
            new Random(7).nextBytes(file);
            CompletableFuture<byte[]> received = new CompletableFuture<>();
            Socks5BytestreamManager.getBytestreamManager(bob).addIncomingBytestreamListener(request -> {
                try {
                    BytestreamSession session = request.accept();
                    session.setReadTimeout(20_000);
                    received.complete(session.getInputStream().readAllBytes());
                    session.close();
                } catch (Exception e) {
                    received.completeExceptionally(e);
                }
            });
            Socks5BytestreamManager initiator = Socks5BytestreamManager.getBytestreamManager(alice);
            initiator.setAnnounceLocalStreamHost(false);
            assertEquals(List.of(JidCreate.from("proxy.localhost")), initiator.determineProxies());
            BytestreamSession session = initiator.establishSession(bob.getUser());
            try (OutputStream out = session.getOutputStream()) {
                out.write(file);
            }
            assertArrayEquals(file, received.get(30, TimeUnit.SECONDS), "the bytes arrive unchanged");
        } finally {
            Socks5Proxy.setLocalSocks5ProxyEnabled(true);
            alice.disconnect();
            bob.disconnect();
        }
    }

    /** Pairing by hash (§6.3), a third connection refused, per-transfer byte limit, cap on transfers. */
    @Test
    void relayPairsByHashAndEnforcesItsLimits() throws Exception {
        EventLoopGroup group = new NioEventLoopGroup(1);
        Socks5Relay relay = Socks5Relay.bind("127.0.0.1", 0, group, group, 1000, Duration.ofMinutes(1), 1);
        try {
            String hash = Socks5ProxyComponent.hash("sid1alice@localhost/abob@localhost/b");
            assertEquals(Socks5Relay.Activation.UNKNOWN, relay.activate(hash));
            try (Socket target = connect(relay, hash, 0)) {
                assertEquals(Socks5Relay.Activation.INCOMPLETE, relay.activate(hash), "only one side connected");
                try (Socket other = connect(relay, Socks5ProxyComponent.hash("another"), 2)) {
                    // at most one transfer at once: refused with "connection not allowed"
                }
                try (Socket initiator = connect(relay, hash, 0)) {
                    try (Socket third = connect(relay, hash, 2)) {
                        // a third party with the same hash is refused
                    }
                    assertEquals(Socks5Relay.Activation.ACTIVATED, relay.activate(hash));
                    initiator.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
                    assertArrayEquals("hello".getBytes(StandardCharsets.US_ASCII), target.getInputStream().readNBytes(5));
                    // Past 1000 bytes in all, the relay closes both connections.
                    initiator.getOutputStream().write(new byte[2000]);
                    assertTrue(closedWithin(target, Duration.ofSeconds(10)), "target closed past the byte limit");
                }
            }
        } finally {
            relay.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    /** Connects, greets and sends CONNECT for {@code hash}; asserts the reply status (0 success, 2 not allowed). */
    private static Socket connect(Socks5Relay relay, String hash, int expectedStatus) throws IOException {
        Socket socket = new Socket("127.0.0.1", relay.port());
        socket.setSoTimeout(10_000);
        OutputStream out = socket.getOutputStream();
        DataInputStream in = new DataInputStream(socket.getInputStream());
        out.write(new byte[] {5, 1, 0});
        byte[] method = new byte[2];
        in.readFully(method);
        assertArrayEquals(new byte[] {5, 0}, method, "no authentication (RFC 1928 §3)");
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.write(new byte[] {5, 1, 0, 3, (byte) hash.length()});
        request.write(hash.getBytes(StandardCharsets.US_ASCII));
        request.write(new byte[] {0, 0});
        out.write(request.toByteArray());
        byte[] reply = new byte[7 + hash.length()];
        in.readFully(reply);
        assertEquals(5, reply[0]);
        assertEquals(expectedStatus, reply[1], "SOCKS5 reply status");
        return socket;
    }

    private static boolean closedWithin(Socket socket, Duration wait) throws IOException {
        long deadline = System.nanoTime() + wait.toNanos();
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[4096];
        while (System.nanoTime() < deadline) {
            socket.setSoTimeout((int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            try {
                if (in.read(buffer) < 0) {
                    return true;
                }
            } catch (SocketTimeoutException e) {
                return false;
            } catch (IOException e) {
                return true;
            }
        }
        return false;
    }
}
