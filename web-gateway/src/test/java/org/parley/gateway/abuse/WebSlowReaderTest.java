package org.parley.gateway.abuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.gateway.testing.RawBosh;
import org.parley.gateway.testing.RawWebSocket;
import org.parley.gateway.testing.TestGateway;
import org.parley.server.abuse.GuardTweak;
import org.parley.server.abuse.Service;
import org.parley.server.abuse.SlowReaderTest;
import org.parley.server.config.ServerSettings;
import org.parley.server.testing.RawClient;

/**
 * Issue 17, row "a client that stops reading while another pushes 58 MB at it", over the web transports: a
 * WebSocket client that does not read and a BOSH client that stops polling are disconnected once more than
 * limits.send-buffer waits for them (long before BOSH's inactivity period or the WebSocket idle timeout), like a
 * lost connection: their resumable session (XEP-0198 §5) expires and everything they never acknowledged reaches
 * them afterwards from offline storage (RFC 6121 §8.5.2), exactly once. Another user's ping stays fast meanwhile.
 * Also: an oversized BOSH request is answered and the connection closed, not drained.
 */
class WebSlowReaderTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Duration INACTIVITY = Duration.ofMinutes(2);

    @RegisterExtension
    static final TestGateway gateway = TestGateway.withSettings(s -> TestGateway.http(h -> new ServerSettings.Http(
            h.bindAddress(), h.port(), h.tlsPort(), h.allowedOrigins(), new ServerSettings.Bosh(h.bosh().maxWait(),
                    INACTIVITY, h.bosh().maxPause()), h.metrics()))
            .apply(GuardTweak.of(g -> g.sendBuffer = 1024 * 1024).apply(s.withSm(new ServerSettings.Sm(
                    Duration.ofSeconds(2))))), "wendy", "bea", "pusher", "other");

    private static String message(String to, int i, int size) {
        return "<message to='" + to + "' type='chat' id='p" + i + "'><body>" + i + ":" + "x".repeat(size)
                + "</body></message>";
    }

    /** Waits until the server holds at most {@code streams} streams; returns how long that took. */
    private static long awaitStreams(int streams) {
        long started = System.nanoTime();
        long deadline = started + WAIT.toNanos();
        while (gateway.server().server().openStreams() > streams) {
            assertTrue(System.nanoTime() < deadline, "the client that does not read is still connected");
            LockSupport.parkNanos(20_000_000);
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    }

    @Test
    void aWebSocketClientThatDoesNotReadIsDroppedAndGetsEverythingLater() throws Exception {
        int count = 60;
        int size = 100_000; // 6 MB: more than the server's socket send buffer (at most 4 MiB) holds
        try (SocketWebSocket wendy = SocketWebSocket.connect(gateway.webSocketUri().getPort());
             RawClient pusher = RawClient.loggedIn(gateway.server(), "pusher");
             RawClient other = RawClient.loggedIn(gateway.server(), "other")) {
            wendy.login("wendy", "ws");
            wendy.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/>");
            wendy.await("<enabled");
            wendy.send("<presence xmlns='jabber:client'/>");
            int before = gateway.server().server().openStreams();
            for (int i = 0; i < count; i++) {
                pusher.send(message("wendy@localhost/ws", i, size));
            }
            Service.pingStaysFast(other);
            // Without reading a byte more, wendy is dropped.
            awaitStreams(before - 1);
        }
        // The detached session expires (2 s) and what wendy never acknowledged goes to offline storage.
        assertEquals(SlowReaderTest.all(count), SlowReaderTest.numbersOnLogin(gateway.server(), "wendy", count, size));
    }

    /**
     * A WebSocket client on a plain socket with a small receive buffer, reading only when asked to: unlike
     * java.net.http's, whose reading does not stop for certain when no message is requested, this one leaves
     * the server's output in the server's buffers. Text frames only, masked as RFC 6455 §5.3 requires.
     */
    static final class SocketWebSocket implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        private SocketWebSocket(Socket socket) throws java.io.IOException {
            this.socket = socket;
            this.in = new java.io.BufferedInputStream(socket.getInputStream());
            this.out = socket.getOutputStream();
        }

        static SocketWebSocket connect(int port) throws Exception {
            Socket socket = new Socket();
            socket.setReceiveBufferSize(8192);
            socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 10_000);
            socket.setSoTimeout((int) WAIT.toMillis());
            SocketWebSocket ws = new SocketWebSocket(socket);
            String key = java.util.Base64.getEncoder().encodeToString(new byte[16]);
            ws.out.write(("GET /xmpp-websocket HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Protocol: xmpp\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = ws.in.read();
                assertTrue(b >= 0, "handshake: " + head);
                head.append((char) b);
            }
            assertTrue(head.toString().startsWith("HTTP/1.1 101"), head.toString());
            return ws;
        }

        void send(String text) throws java.io.IOException {
            byte[] payload = text.getBytes(StandardCharsets.UTF_8);
            java.io.ByteArrayOutputStream frame = new java.io.ByteArrayOutputStream();
            frame.write(0x81);
            if (payload.length < 126) {
                frame.write(0x80 | payload.length);
            } else {
                frame.write(0x80 | 126);
                frame.write(payload.length >> 8);
                frame.write(payload.length);
            }
            frame.write(new byte[4]); // mask 0: the payload goes as it is
            frame.write(payload);
            out.write(frame.toByteArray());
            out.flush();
        }

        /** Text messages until one contains {@code text}. */
        String await(String text) throws java.io.IOException {
            while (true) {
                int b0 = in.read();
                int b1 = in.read();
                assertTrue(b0 >= 0 && b1 >= 0, "closed before " + text);
                long length = b1 & 0x7f;
                if (length == 126) {
                    length = (in.read() << 8) | in.read();
                } else if (length == 127) {
                    length = new java.io.DataInputStream(in).readLong();
                }
                String message = new String(in.readNBytes((int) length), StandardCharsets.UTF_8);
                if ((b0 & 0x0f) == 1 && message.contains(text)) {
                    return message;
                }
            }
        }

        void login(String user, String resource) throws java.io.IOException {
            send(RawWebSocket.OPEN);
            await("</stream:features>");
            send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + java.util.Base64.getEncoder()
                    .encodeToString(("\0" + user + "\0" + org.parley.server.testing.TestServer.PASSWORD)
                            .getBytes(StandardCharsets.UTF_8)) + "</auth>");
            await("<success");
            send(RawWebSocket.OPEN);
            await("urn:ietf:params:xml:ns:xmpp-bind");
            send("<iq xmlns='jabber:client' type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                    + "<resource>" + resource + "</resource></bind></iq>");
            await("</jid>");
        }

        @Override
        public void close() throws java.io.IOException {
            socket.close();
        }
    }

    @Test
    void aBoshClientThatStopsPollingIsDroppedAndGetsEverythingLater() throws Exception {
        int count = 20;
        int size = 100_000; // 2 MB waiting for a client that sends no request, for a bound of 1 MiB
        RawBosh bea = new RawBosh(gateway.boshUri());
        bea.create(1, 1, "");
        bea.login("bea", "bosh");
        assertTrue(bea.next("", "<enable xmlns='urn:xmpp:sm:3' resume='true'/>").contains("<enabled"));
        bea.next("", "<presence xmlns='jabber:client'/>"); // answered at once or after wait (1 s): no request left
        try (RawClient pusher = RawClient.loggedIn(gateway.server(), "pusher");
             RawClient other = RawClient.loggedIn(gateway.server(), "other")) {
            int before = gateway.server().server().openStreams();
            for (int i = 0; i < count; i++) {
                pusher.send(message("bea@localhost/bosh", i, size));
            }
            Service.pingStaysFast(other);
            long millis = awaitStreams(before - 1);
            assertTrue(millis < INACTIVITY.toMillis() / 4, "ended by the byte bound, not by inactivity: " + millis);
        }
        assertEquals(SlowReaderTest.all(count), SlowReaderTest.numbersOnLogin(gateway.server(), "bea", count, size));
    }

    @Test
    void anOversizedBoshRequestIsAnsweredAndTheConnectionClosedNotDrained() throws Exception {
        int port = gateway.boshUri().getPort();
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout((int) WAIT.toMillis());
            OutputStream out = socket.getOutputStream();
            long announced = 10L * 1024 * 1024;
            out.write(("POST /http-bind HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Type: text/xml\r\n"
                    + "Content-Length: " + announced + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[64 * 1024]);
            out.flush();
            long started = System.nanoTime();
            InputStream in = socket.getInputStream();
            String answer = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1); // to the end: closed
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            assertTrue(answer.startsWith("HTTP/1.1 413"), answer);
            assertTrue(millis < 10_000, "closed after " + millis + " ms");
        }
    }
}
