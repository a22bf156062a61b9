package org.parley.gateway.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;

import org.parley.server.testing.TestServer;

/**
 * An RFC 7395 client made of raw WebSocket messages (java.net.http): the test writes every frame itself and
 * reads every message the server sends, one element each.
 */
public final class RawWebSocket implements WebSocket.Listener, AutoCloseable {

    public static final String FRAMING = "urn:ietf:params:xml:ns:xmpp-framing";
    public static final String OPEN = "<open xmlns='" + FRAMING + "' to='localhost' version='1.0'/>";
    public static final String CLOSE = "<close xmlns='" + FRAMING + "'/>";
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    private final List<String> received = new ArrayList<>();
    private final StringBuilder partial = new StringBuilder();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final BlockingQueue<ByteBuffer> pings = new LinkedBlockingQueue<>();
    private volatile int closeStatus = -1;
    private WebSocket socket;

    private RawWebSocket() {
    }

    /** Connects; the future fails (with {@link java.net.http.WebSocketHandshakeException}) when refused. */
    public static CompletableFuture<RawWebSocket> connect(URI uri, String origin, SSLContext ssl, String... subprotocols) {
        RawWebSocket client = new RawWebSocket();
        HttpClient.Builder http = HttpClient.newBuilder().connectTimeout(WAIT);
        if (ssl != null) {
            http.sslContext(ssl);
        }
        WebSocket.Builder builder = http.build().newWebSocketBuilder().connectTimeout(WAIT);
        if (subprotocols.length > 0) {
            builder.subprotocols(subprotocols[0], java.util.Arrays.copyOfRange(subprotocols, 1, subprotocols.length));
        }
        if (origin != null) {
            builder.header("Origin", origin);
        }
        return builder.buildAsync(uri, client).thenApply(ws -> {
            client.socket = ws;
            return client;
        });
    }

    public static RawWebSocket connect(URI uri) throws Exception {
        return connect(uri, null, null, "xmpp").get(10, TimeUnit.SECONDS);
    }

    public WebSocket socket() {
        return socket;
    }

    public RawWebSocket send(String frame) throws Exception {
        socket.sendText(frame, true).get(10, TimeUnit.SECONDS);
        return this;
    }

    /** The next message from the server, failing after the default wait. */
    public String next() throws InterruptedException {
        String message = messages.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        if (message == null) {
            fail("no message within " + WAIT + "; received so far: " + received());
        }
        return message;
    }

    /** Messages until one contains {@code text}; returns that one. */
    public String awaitMessage(String text) throws InterruptedException {
        while (true) {
            String message = next();
            if (message.contains(text)) {
                return message;
            }
        }
    }

    /** True when the server closes the WebSocket within the wait. */
    public boolean awaitClosed() throws InterruptedException {
        return closed.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    public int closeStatus() {
        return closeStatus;
    }

    public synchronized List<String> received() {
        return List.copyOf(received);
    }

    /** Opens the stream, logs in with PLAIN, restarts and binds {@code resource}. */
    public RawWebSocket login(String user, String resource) throws Exception {
        send(OPEN);
        awaitMessage("</stream:features>");
        String plain = Base64.getEncoder().encodeToString(("\0" + user + "\0" + TestServer.PASSWORD)
                .getBytes(StandardCharsets.UTF_8));
        send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + plain + "</auth>");
        awaitMessage("<success");
        send(OPEN);
        awaitMessage("urn:ietf:params:xml:ns:xmpp-bind");
        send("<iq xmlns='jabber:client' type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>"
                + resource + "</resource></bind></iq>");
        awaitMessage("</jid>");
        return this;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            String message = partial.toString();
            partial.setLength(0);
            synchronized (this) {
                received.add(message);
            }
            messages.add(message);
        }
        webSocket.request(1);
        return null;
    }

    /** The next ping from the server (java.net.http answers each with a pong by itself). */
    public boolean awaitPing() throws InterruptedException {
        return pings.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS) != null;
    }

    @Override
    public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
        pings.add(message);
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closeStatus = statusCode;
        closed.countDown();
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closed.countDown();
    }

    @Override
    public void close() {
        if (socket != null) {
            socket.abort();
        }
    }
}
