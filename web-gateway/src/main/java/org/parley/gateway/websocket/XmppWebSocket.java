package org.parley.gateway.websocket;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.StatusCode;
import org.eclipse.jetty.websocket.api.exceptions.WebSocketTimeoutException;
import org.parley.server.ParleyServer;
import org.parley.server.stream.StreamErrorCondition;
import org.parley.server.stream.StreamFraming;
import org.parley.server.stream.StreamTransport;
import org.parley.server.stream.XmppStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One RFC 7395 WebSocket connection carrying one XMPP stream. Messages are collected from their frames (never
 * more than the stream's stanza limit: a larger message is a {@code <policy-violation/>} stream error, after
 * which input is dropped), then parsed and handed to the {@link XmppStream} on the session's serial executor, in
 * order. What the stream writes goes out one element per text message. Reading pauses while too much input
 * waits to be processed, as on TCP. A dropped connection ends the session like a dropped TCP connection.
 *
 * <p>Public only because Jetty calls the listener methods through method handles; created by
 * {@link XmppWebSocketEndpoint}.
 */
public final class XmppWebSocket implements Session.Listener, StreamTransport {

    private static final Logger LOG = LoggerFactory.getLogger(XmppWebSocket.class);
    private static final long PAUSE_READING_AT = 1 << 20;
    private static final long RESUME_READING_AT = 256 << 10;

    private final ParleyServer server;
    private final XmppWebSocketEndpoint endpoint;
    private final boolean secure;
    private final String remoteAddress;
    private final AtomicLong pendingBytes = new AtomicLong();
    private volatile Session session;
    private volatile XmppStream stream;
    private volatile long lastSent = System.nanoTime();
    private volatile long lastReceived = System.nanoTime();
    private volatile boolean timedOut;
    /** The message being collected; touched only by Jetty's reading, which is sequential per connection. */
    private final ByteArrayOutputStream message = new ByteArrayOutputStream();
    private boolean refusing;
    private boolean readingPaused;

    XmppWebSocket(ParleyServer server, XmppWebSocketEndpoint endpoint, boolean secure, String remoteAddress) {
        this.server = server;
        this.endpoint = endpoint;
        this.secure = secure;
        this.remoteAddress = remoteAddress;
    }

    // ---- WebSocket events (Jetty) ----

    @Override
    public void onWebSocketOpen(Session session) {
        this.session = session;
        this.stream = server.openStream(this);
        endpoint.opened(this);
        session.addIdleTimeoutListener(this::idleTimeout);
        LOG.debug("WebSocket from {} opened", remoteAddress);
        session.demand();
    }

    /**
     * Jetty's own idle timeout (no traffic either way, so it only fires once our pings have stopped): the
     * stream ends with connection-timeout if it has not yet, else the peer that never completed the closing
     * handshake is dropped.
     */
    private boolean idleTimeout(WebSocketTimeoutException timeout) {
        XmppStream s = stream;
        if (timedOut || s == null) {
            return true;
        }
        timedOut = true;
        execute(() -> s.streamError(StreamErrorCondition.CONNECTION_TIMEOUT, "idle for too long"));
        return false;
    }

    @Override
    public void onWebSocketPartialText(String payload, boolean last) {
        lastReceived = System.nanoTime();
        if (refusing) {
            session.demand(); // drain and drop, so that the peer's close frame is still read
            return;
        }
        byte[] chunk = payload.getBytes(StandardCharsets.UTF_8);
        int limit = stream.stanzaLimit();
        if (message.size() + chunk.length > limit) {
            refuse(StreamErrorCondition.POLICY_VIOLATION, "message exceeds the size limit of " + limit + " bytes");
            return;
        }
        message.write(chunk, 0, chunk.length);
        if (!last) {
            session.demand();
            return;
        }
        byte[] complete = message.toByteArray();
        message.reset();
        pendingBytes.addAndGet(complete.length);
        XmppStream s = stream;
        execute(() -> {
            s.deliver(input -> Rfc7395Frames.deliver(complete, s.stanzaLimit(), input));
            processed(complete.length);
        });
        demandUnlessFlooded();
    }

    @Override
    public void onWebSocketPong(ByteBuffer payload) {
        lastReceived = System.nanoTime(); // the answer to a keepalive ping: the peer is there
        session.demand();
    }

    @Override
    public void onWebSocketPartialBinary(ByteBuffer payload, boolean last, Callback callback) {
        lastReceived = System.nanoTime();
        callback.succeed();
        if (!refusing) {
            refuse(StreamErrorCondition.BAD_FORMAT, "binary messages are not used by XMPP (RFC 7395 §3.2)");
        } else {
            session.demand();
        }
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        LOG.debug("WebSocket from {} failed: {}", remoteAddress, cause.toString());
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason, Callback callback) {
        XmppStream s = stream;
        if (s != null) {
            execute(s::connectionLost);
            server.streamGone(s);
        }
        endpoint.closed(this);
        LOG.debug("WebSocket from {} closed: {} {}", remoteAddress, statusCode, reason == null ? "" : reason);
        callback.succeed();
    }

    /** Ends the stream with an error; what the peer sends from now on is read and dropped. */
    private void refuse(StreamErrorCondition condition, String text) {
        refusing = true;
        message.reset();
        XmppStream s = stream;
        execute(() -> s.streamError(condition, text));
        session.demand();
    }

    private void demandUnlessFlooded() {
        synchronized (this) {
            if (pendingBytes.get() > PAUSE_READING_AT) {
                readingPaused = true;
                return;
            }
        }
        session.demand();
    }

    private void processed(int bytes) {
        pendingBytes.addAndGet(-bytes);
        boolean resume;
        synchronized (this) {
            resume = readingPaused && pendingBytes.get() < RESUME_READING_AT;
            if (resume) {
                readingPaused = false;
            }
        }
        if (resume) {
            session.demand();
        }
    }

    private void execute(Runnable task) {
        XmppStream s = stream;
        if (s == null) {
            return;
        }
        try {
            s.session().executor().execute(task);
        } catch (RejectedExecutionException e) {
            // the server is shutting down; its shutdown ends the stream
        }
    }

    /**
     * The keepalive timer's visit: nothing at all received (not even a pong) for {@code timeoutNanos} ends the
     * stream with connection-timeout (RFC 6120 §4.9.3.4), as on TCP; otherwise a ping goes out when nothing
     * was sent for {@code keepaliveNanos}, so that NATs and proxies keep the connection and the peer's pong
     * shows it is still there.
     */
    void keepalive(long now, long keepaliveNanos, long timeoutNanos) {
        Session s = session;
        XmppStream xmpp = stream;
        if (s == null || xmpp == null || !s.isOpen() || timedOut) {
            return;
        }
        if (now - lastReceived >= timeoutNanos) {
            timedOut = true;
            execute(() -> xmpp.streamError(StreamErrorCondition.CONNECTION_TIMEOUT, "idle for too long"));
        } else if (now - lastSent >= keepaliveNanos) {
            lastSent = now;
            s.sendPing(ByteBuffer.allocate(0), Callback.NOOP);
        }
    }

    // ---- StreamTransport (the XMPP stream writing) ----

    @Override
    public void send(String xml) {
        Session s = session;
        if (s == null || !s.isOpen()) {
            return;
        }
        lastSent = System.nanoTime();
        s.sendText(xml, Callback.from(() -> { }, failure -> {
            LOG.debug("sending to {} failed: {}", remoteAddress, failure.toString());
            s.disconnect();
        }));
    }

    @Override
    public void close() {
        Session s = session;
        if (s != null && s.isOpen()) {
            s.close(StatusCode.NORMAL, null, Callback.NOOP);
        }
    }

    @Override
    public boolean isSecure() {
        return secure;
    }

    @Override
    public boolean canStartTls() {
        return false; // RFC 7395 §3.9: TLS is the WebSocket's (wss:), never STARTTLS inside it
    }

    @Override
    public void startTls(String proceed) {
        throw new UnsupportedOperationException("no STARTTLS over WebSocket");
    }

    @Override
    public String remoteAddress() {
        return remoteAddress;
    }

    @Override
    public StreamFraming framing() {
        return StreamFraming.WEBSOCKET;
    }
}
