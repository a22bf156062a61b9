package org.parley.gateway.websocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.gateway.testing.RawWebSocket;
import org.parley.gateway.testing.TestGateway;
import org.parley.server.config.ServerSettings;

/**
 * WebSocket pings after limits.keepalive-interval of silence, and connection-timeout after limits.idle-timeout
 * without anything from the peer, not even a pong (shortened here to 300 ms and 2 s).
 */
class WebSocketKeepaliveTest {

    @RegisterExtension
    static final TestGateway gateway = TestGateway.withSettings(s -> {
        ServerSettings.Limits l = s.limits();
        return s.withLimits(new ServerSettings.Limits(l.stanzaBytes(), l.preAuthStanzaBytes(), Duration.ofSeconds(2),
                Duration.ofMillis(300), l.offlinePerUser(), l.scramIterations()));
    }, "alice");

    @Test
    void clientAnsweringPingsStaysConnectedPastTheIdleTimeout() throws Exception {
        try (RawWebSocket ws = RawWebSocket.connect(gateway.webSocketUri()).login("alice", "pinged")) {
            long start = System.nanoTime();
            int pings = 0;
            while (System.nanoTime() - start < Duration.ofSeconds(3).toNanos()) {
                assertTrue(ws.awaitPing(), "a ping while the client is silent");
                pings++;
            }
            assertTrue(pings >= 2, "pings: " + pings);
            ws.send("<iq xmlns='jabber:client' type='get' id='still' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
            assertTrue(ws.awaitMessage("id=\"still\"").contains("type=\"result\""), "the pongs kept the stream alive");
        }
    }

    @Test
    void silentPeerGetsConnectionTimeout() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", gateway.gateway().httpPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /xmpp-websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Protocol: xmpp\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            DataInputStream in = new DataInputStream(socket.getInputStream());
            String handshake = readHeaders(in);
            assertTrue(handshake.startsWith("HTTP/1.1 101"), handshake);
            writeMaskedText(out, RawWebSocket.OPEN);
            // This peer never answers a ping: after the idle timeout the stream ends with connection-timeout.
            StringBuilder text = new StringBuilder();
            int pings = 0;
            while (true) {
                int head = in.readUnsignedByte();
                int opcode = head & 0x0F;
                byte[] payload = readPayload(in);
                if (opcode == 0x9) {
                    pings++;
                } else if (opcode == 0x1) {
                    text.append(new String(payload, StandardCharsets.UTF_8)).append('\n');
                } else if (opcode == 0x8) {
                    break;
                }
            }
            assertTrue(pings >= 1, "pinged before giving up");
            assertTrue(text.toString().contains("<connection-timeout xmlns=\"urn:ietf:params:xml:ns:xmpp-streams\"></connection-timeout>"),
                    text.toString());
            assertTrue(text.toString().contains("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>"), text.toString());
        }
    }

    private static String readHeaders(DataInputStream in) throws IOException {
        ByteArrayOutputStream headers = new ByteArrayOutputStream();
        while (!headers.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            headers.write(in.readUnsignedByte());
        }
        return headers.toString(StandardCharsets.US_ASCII);
    }

    private static byte[] readPayload(DataInputStream in) throws IOException {
        int second = in.readUnsignedByte();
        long length = second & 0x7F;
        if (length == 126) {
            length = in.readUnsignedShort();
        } else if (length == 127) {
            length = in.readLong();
        }
        byte[] payload = new byte[(int) length];
        in.readFully(payload);
        return payload;
    }

    /** A client text frame: masked, as RFC 6455 §5.3 requires (with a zero key, which is allowed). */
    private static void writeMaskedText(OutputStream out, String text) throws IOException {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        out.write(0x81);
        out.write(0x80 | payload.length);
        out.write(new byte[4]);
        out.write(payload);
        out.flush();
    }
}
