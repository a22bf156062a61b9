package org.parley.gateway.websocket;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.CloseStatus;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.FrameHandler;
import org.eclipse.jetty.websocket.core.OpCode;
import org.eclipse.jetty.websocket.core.exception.WebSocketTimeoutException;
import org.parley.server.ParleyServer;
import org.parley.server.parser.StreamErrorCondition;
import org.parley.server.session.StreamFraming;
import org.parley.server.session.StreamTransport;
import org.parley.server.stream.XmppStream;
import org.parley.server.transport.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One RFC 7395 WebSocket connection carrying one XMPP stream. Messages are collected from their frames (never
 * more than the stream's stanza limit: a larger message is a {@code <policy-violation/>} stream error, after
 * which input is dropped), then parsed and handed to the {@link XmppStream} on the session's serial executor, in
 * order. What the stream writes goes out one element per text message, batched and flushed once per burst by
 * a {@link WebSocketFlusher}. Reading pauses while too much input
 * waits to be processed, as on TCP. A dropped connection ends the session like a dropped TCP connection.
 *
 * <p>A handler of Jetty's core WebSocket frames with explicit demand: a frame is asked for only when the
 * previous one was taken, so reading stops while too much waits. Pings are answered by Jetty's core (RFC 6455
 * §5.5.2), as is the closing handshake. Created by {@link XmppWebSocketEndpoint}.
 */
final class XmppWebSocket implements FrameHandler, StreamTransport {

    private static final Logger LOG = LoggerFactory.getLogger(XmppWebSocket.class);
    private static final long PAUSE_READING_AT = 1 << 20;
    private static final long RESUME_READING_AT = 256 << 10;
    /** After a policy violation, how long the peer has to read the stream error before the connection drops. */
    private static final long ABORT_GRACE_MS = 2000;
    /** After an ordinary close, how long the peer has to answer with its own close frame. */
    private static final long CLOSE_GRACE_MS = 5000;
    /**
     * Output above limits.send-buffer with nothing written for this long means the peer does not read (as on
     * TCP: a reading client only catching up with a burst writes something within it).
     */
    private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** Output this many times limits.send-buffer is dropped at once, reading or not. */
    private static final int HARD_FACTOR = 16;

    private final ParleyServer server;
    private final XmppWebSocketEndpoint endpoint;
    private final WebSocketFlusher flusher;
    /** A flush is asked of the {@link #flusher} and has not yet begun (see {@link #send(Frame)}). */
    private final AtomicBoolean flushAsked = new AtomicBoolean();
    /** {@link #flush()} as one instance, so that a {@link WriteBatch} owes it at most once. */
    private final Runnable flushAtBatchEnd = this::flush;
    private final boolean secure;
    private final String remoteAddress;
    private final AtomicLong pendingBytes = new AtomicLong();
    private volatile CoreSession session;
    private volatile XmppStream stream;
    private volatile long lastSent = System.nanoTime();
    private volatile long lastReceived = System.nanoTime();
    private volatile boolean timedOut;
    /** Payload bytes handed to Jetty and not yet written or batched (issue 17: bounded by limits.send-buffer). */
    private final AtomicLong unwritten = new AtomicLong();
    private volatile long lastWritten = System.nanoTime();
    private volatile boolean dropped;
    private final AtomicBoolean stallCheck = new AtomicBoolean();
    /**
     * A message arriving in several frames, while it is collected (null otherwise, so an idle connection keeps no
     * buffer); touched only by Jetty's reading, which is sequential per connection.
     */
    private ByteArrayOutputStream partial;
    private boolean refusing;
    private boolean readingPaused;

    XmppWebSocket(ParleyServer server, XmppWebSocketEndpoint endpoint, WebSocketFlusher flusher, boolean secure,
                  String remoteAddress) {
        this.server = server;
        this.endpoint = endpoint;
        this.flusher = flusher;
        this.secure = secure;
        this.remoteAddress = remoteAddress;
    }

    // ---- WebSocket events (Jetty) ----

    @Override
    public void onOpen(CoreSession coreSession, Callback callback) {
        this.session = coreSession;
        this.stream = server.openStream(this);
        endpoint.opened(this);
        coreSession.addIdleTimeoutListener(this::idleTimeout);
        LOG.debug("WebSocket from {} opened", remoteAddress);
        callback.succeeded();
        coreSession.demand();
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
    public void onFrame(Frame frame, Callback callback) {
        lastReceived = System.nanoTime(); // anything, a pong to our keepalive ping too, shows the peer is there
        switch (frame.getOpCode()) {
            case OpCode.TEXT, OpCode.CONTINUATION -> text(frame, callback);
            case OpCode.BINARY -> {
                callback.succeeded();
                if (!refusing) {
                    refuse(StreamErrorCondition.BAD_FORMAT, "binary messages are not used by XMPP (RFC 7395 §3.2)");
                }
            }
            case OpCode.CLOSE -> callback.succeeded(); // Jetty answers it and then reports the close
            default -> { // ping (Jetty sends the pong once the callback succeeds) or pong
                callback.succeeded();
                session.demand();
            }
        }
    }

    /** A piece of a text message: collected up to the stanza limit, then handed to the stream whole. */
    private void text(Frame frame, Callback callback) {
        if (refusing) {
            callback.succeeded(); // no more demand: the connection is closed, not drained (issue 17)
            return;
        }
        ByteBuffer payload = frame.getPayload();
        int length = payload == null ? 0 : payload.remaining();
        int limit = stream.stanzaLimit();
        int collected = partial == null ? 0 : partial.size();
        if (collected + length > limit) {
            callback.succeeded();
            refuse(StreamErrorCondition.POLICY_VIOLATION, "message exceeds the size limit of " + limit + " bytes");
            return;
        }
        byte[] chunk = new byte[length];
        if (length > 0) {
            payload.duplicate().get(chunk); // copied: the buffer is Jetty's again once the callback runs
        }
        callback.succeeded();
        byte[] complete;
        if (frame.isFin() && partial == null) {
            complete = chunk; // the usual case, a message in one frame: nothing kept between messages
        } else {
            if (partial == null) {
                partial = new ByteArrayOutputStream(Math.max(256, length * 2));
            }
            partial.write(chunk, 0, length);
            if (!frame.isFin()) {
                session.demand();
                return;
            }
            complete = partial.toByteArray();
            partial = null;
        }
        pendingBytes.addAndGet(complete.length);
        XmppStream s = stream;
        execute(() -> {
            s.deliver(input -> Rfc7395Frames.deliver(complete, s.stanzaLimit(), input));
            processed(complete.length);
        });
        demandUnlessFlooded();
    }

    @Override
    public void onError(Throwable cause, Callback callback) {
        LOG.debug("WebSocket from {} failed: {}", remoteAddress, cause.toString());
        callback.succeeded();
    }

    @Override
    public void onClosed(CloseStatus closeStatus, Callback callback) {
        XmppStream s = stream;
        if (s != null) {
            execute(s::connectionLost);
            server.streamGone(s);
        }
        endpoint.closed(this);
        LOG.debug("WebSocket from {} closed: {}", remoteAddress, closeStatus);
        callback.succeeded();
    }

    /**
     * Ends the stream with an error and the connection with it: nothing more is read (a 10 MiB message is not
     * drained to its end), and once the error and the close frame are out, the connection is dropped without
     * waiting for the peer's close frame (issue 17).
     */
    private void refuse(StreamErrorCondition condition, String text) {
        refusing = true;
        partial = null;
        XmppStream s = stream;
        execute(() -> s.streamError(condition, text));
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
        CoreSession s = session;
        XmppStream xmpp = stream;
        if (s == null || xmpp == null || !s.isOutputOpen() || timedOut) {
            return;
        }
        if (now - lastReceived >= timeoutNanos) {
            timedOut = true;
            execute(() -> xmpp.streamError(StreamErrorCondition.CONNECTION_TIMEOUT, "idle for too long"));
        } else if (now - lastSent >= keepaliveNanos) {
            lastSent = now;
            s.sendFrame(new Frame(OpCode.PING), Callback.NOOP, false);
        }
    }

    // ---- StreamTransport (the XMPP stream writing) ----

    @Override
    public void send(String xml) {
        send(new Frame(OpCode.TEXT, xml));
    }

    /** A stanza rendered once into UTF-8 goes out as the text frame's payload, never decoded to a String. */
    @Override
    public void send(byte[] utf8) {
        send(new Frame(OpCode.TEXT, java.nio.ByteBuffer.wrap(utf8)));
    }

    private void send(Frame frame) {
        CoreSession s = session;
        if (s == null || !s.isOutputOpen()) {
            return;
        }
        if (dropped) {
            return; // what the stream still writes is in its XEP-0198 queue, or lost with the connection as on TCP
        }
        long now = System.nanoTime();
        lastSent = now;
        int length = frame.getPayloadLength();
        long before = unwritten.getAndAdd(length);
        if (before == 0) {
            lastWritten = now; // an idle connection starts a burst: the stall counts from here
        }
        if (before + length > server.guard().settings().sendBuffer() && behind(before + length)) {
            unwritten.addAndGet(-length);
            return;
        }
        // Batch mode (issue 18): Jetty copies a small frame into the connection's batch buffer (still one message
        // per stanza, RFC 7395 §3.3.3) and writes it with the next flush, which the flusher runs once for all that
        // was sent until then. A frame's callback completes when it is copied or written, so what waits in the
        // batch buffer (at most one output buffer) is not counted in 'unwritten'; what waits behind a write the
        // peer does not take is, so the slow-reader bound works as before.
        s.sendFrame(frame, Callback.from(() -> {
            unwritten.addAndGet(-length);
            lastWritten = System.nanoTime();
        }, failure -> {
            unwritten.addAndGet(-length);
            LOG.debug("sending to {} failed: {}", remoteAddress, failure.toString());
            s.abort();
        }), true);
        // Asked after the frame is queued and cleared before the flush is queued (see flush()): every batched frame
        // has a flush queued behind it. Written while a stanza is handled (a 1:1 message, a room's fan-out), the
        // flush runs on this thread when that handling ends; from anywhere else, the flusher runs it.
        if (flushAsked.compareAndSet(false, true) && !WriteBatch.deferWakeUp(flushAtBatchEnd)) {
            flusher.flushSoon(this);
        }
    }

    /** Writes what was batched since the last flush (the {@link WebSocketFlusher}'s task). */
    void flush() {
        flushAsked.set(false);
        CoreSession s = session;
        if (s == null || !s.isOutputOpen() || dropped) {
            return;
        }
        s.flush(Callback.from(() -> { }, failure -> {
            LOG.debug("flushing to {} failed: {}", remoteAddress, failure.toString());
            s.abort();
        }));
    }

    /**
     * Behind by more than limits.send-buffer: a peer that has taken nothing for {@link #STALL_NANOS}, or is
     * {@link #HARD_FACTOR} times over, does not read and is dropped like a lost connection, so that its session
     * waits for resumption and what it never acknowledged goes to offline storage (XEP-0198 §5, issue 17);
     * otherwise a timer looks again, so it is dropped even if nothing more is sent to it.
     */
    private boolean behind(long pending) {
        long stalled = System.nanoTime() - lastWritten;
        if (stalled > STALL_NANOS || pending > (long) HARD_FACTOR * server.guard().settings().sendBuffer()) {
            drop("is " + pending + " bytes behind and took nothing for " + stalled / 1_000_000 + " ms");
            return true;
        }
        if (stallCheck.compareAndSet(false, true)) {
            server.guard().scheduleMillis(() -> {
                stallCheck.set(false);
                long now = unwritten.get();
                if (now > server.guard().settings().sendBuffer() && !dropped) {
                    behind(now);
                }
            }, (STALL_NANOS - stalled) / 1_000_000 + 1);
        }
        return false;
    }

    private void drop(String why) {
        if (dropped) {
            return;
        }
        dropped = true;
        LOG.info("WebSocket of {} dropped: it {}", remoteAddress, why);
        CoreSession s = session;
        if (s != null) {
            s.abort(); // Jetty reports the close: onClosed ends the stream as a lost connection
        }
    }

    @Override
    public void abort() {
        drop("did not acknowledge its stanzas (XEP-0198)");
    }

    @Override
    public void close() {
        CoreSession s = session;
        if (s != null && s.isOutputOpen()) {
            if (refusing) {
                // A policy violation: the peer is not read any more, so its close frame would never be seen. The
                // connection is dropped shortly after the close frame went out, not at once: closing a socket
                // with unread input sends a reset, which discards the stream error from the peer's socket buffer
                // if it has not read it yet. So the close frame says 1000, not 1008 (RFC 6455 §7.4.1): Jetty
                // closes the connection as soon as an "abnormal" close frame is written, and the error lost this
                // way was a flaky GatewayAbuseTest. The stream error already names the condition.
                Runnable drop = () -> CompletableFuture.runAsync(s::abort,
                        CompletableFuture.delayedExecutor(ABORT_GRACE_MS, TimeUnit.MILLISECONDS));
                s.close(CloseStatus.NORMAL, null, Callback.from(drop, failure -> s.abort()));
            } else {
                // A peer that does not answer the close frame (it may not read at all) is dropped after a while
                // rather than kept until the idle timeout (issue 17); one that answers is gone by then.
                Runnable drop = () -> CompletableFuture.runAsync(s::abort,
                        CompletableFuture.delayedExecutor(CLOSE_GRACE_MS, TimeUnit.MILLISECONDS));
                s.close(CloseStatus.NORMAL, null, Callback.from(drop, failure -> s.abort()));
            }
        }
    }

    @Override
    public String kind() {
        return "websocket";
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
