package org.parley.server.transport.tcp;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import javax.net.ssl.SSLHandshakeException;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import org.apache.vysper.xmpp.server.SessionState;
import org.parley.server.config.ServerSettings;
import org.parley.server.guard.TokenBucket;
import org.parley.server.parser.StreamErrorCondition;
import org.parley.server.session.StreamTransport;
import org.parley.server.stream.XmppStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client TCP connection: bytes from Netty go to the {@link XmppStream} on the session's serial
 * executor; what the stream sends is written back in order. Reading pauses while too much input waits to
 * be processed, so a flooding client slows down instead of filling memory.
 *
 * <p>Bounds (issue 17): input is shaped by a token bucket in bytes per second (tighter before authentication;
 * reading pauses until the bucket refills); output waiting for a client that does not read may reach
 * {@code limits.send-buffer} bytes (more only while the client is reading, i.e. took some output within the last
 * two seconds, and never 16 times that), and the channel may stay unwritable (above Netty's high watermark) for at
 * most {@code limits.write-timeout}, after which the connection is dropped like a lost one (so XEP-0198 keeps
 * what was not acknowledged).
 */
final class C2sConnection extends ChannelInboundHandlerAdapter implements StreamTransport {

    private static final Logger LOG = LoggerFactory.getLogger(C2sConnection.class);
    private static final long PAUSE_READING_AT = 1 << 20;
    private static final long RESUME_READING_AT = 256 << 10;
    /** Over the send buffer, a client that took nothing for this long is not reading. */
    private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** Over this many send buffers, a client is dropped even while it reads (it cannot catch up). */
    private static final int HARD_FACTOR = 16;

    private final SslContext sslContext;
    private final Function<StreamTransport, XmppStream> streams;
    private final ConnectionTracker tracker;
    private final AtomicLong pendingBytes = new AtomicLong();
    private final ServerSettings.Guard limits;
    private final TokenBucket preAuthRate;
    private final TokenBucket readRate;
    /** Reading paused for the token bucket (event loop only). */
    private boolean shaping;
    private ScheduledFuture<?> writeDeadline;
    private volatile boolean dropped;
    /** When a write last completed (its bytes were taken by the socket): how a reading client is told apart. */
    private volatile long lastProgress = System.nanoTime();
    private volatile boolean stallCheck;
    private final ChannelFutureListener progress = f -> lastProgress = System.nanoTime();
    private volatile boolean secure;
    private volatile Channel channel;
    /** Writes coalesced on the channel's event loop (issue 18); set once the channel is active. */
    private volatile LoopWriter writer;
    /** Bytes queued in the writer, not yet in the channel's outbound buffer. */
    private final AtomicLong queued = new AtomicLong();
    /** {@link #close} was called: later sends are dropped, as a closed channel dropped them before. */
    private volatile boolean closing;
    /** Written in the current batch and not yet flushed (event loop only). */
    private boolean flushPending;
    private XmppStream stream;

    C2sConnection(SslContext sslContext, boolean directTls, Function<StreamTransport, XmppStream> streams,
                  ConnectionTracker tracker, ServerSettings.Guard limits) {
        this.limits = limits;
        this.preAuthRate = new TokenBucket(limits.preAuthReadRate(), limits.preAuthReadRate());
        this.readRate = new TokenBucket(limits.readRate(), limits.readRate());
        this.sslContext = sslContext;
        this.secure = directTls;
        this.streams = streams;
        this.tracker = tracker;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        writer = LoopWriter.of(channel.eventLoop());
        stream = streams.apply(this);
        tracker.opened(stream);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf buf = (ByteBuf) msg;
        byte[] bytes;
        try {
            bytes = new byte[buf.readableBytes()];
            buf.readBytes(bytes);
        } finally {
            buf.release();
        }
        if (pendingBytes.addAndGet(bytes.length) > PAUSE_READING_AT) {
            ctx.channel().config().setAutoRead(false);
        }
        TokenBucket bucket = stream.session().getState() == SessionState.AUTHENTICATED ? readRate : preAuthRate;
        long waitNanos = bucket.take(bytes.length);
        if (waitNanos > 0 && !shaping) {
            // Over the byte rate: stop reading until the bucket has refilled (TCP's own flow control then
            // slows the sender down); nothing is dropped.
            shaping = true;
            ctx.channel().config().setAutoRead(false);
            ctx.executor().schedule(() -> {
                shaping = false;
                if (pendingBytes.get() < RESUME_READING_AT) {
                    channel.config().setAutoRead(true);
                }
            }, waitNanos, TimeUnit.NANOSECONDS);
        }
        stream.session().executor().execute(() -> {
            stream.receive(bytes, 0, bytes.length);
            if (pendingBytes.addAndGet(-bytes.length) < RESUME_READING_AT && !channel.config().isAutoRead()) {
                channel.eventLoop().execute(() -> {
                    if (!shaping && pendingBytes.get() < RESUME_READING_AT) {
                        channel.config().setAutoRead(true);
                    }
                });
            }
        });
    }

    /** Unwritable (above the high watermark) for the whole write timeout: the client is not reading. */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (!ctx.channel().isWritable()) {
            if (writeDeadline == null) {
                writeDeadline = ctx.executor().schedule(() -> {
                    writeDeadline = null;
                    if (!channel.isWritable()) {
                        drop("has not read its output for " + limits.writeTimeout().toSeconds() + " s");
                    }
                }, limits.writeTimeout().toNanos(), TimeUnit.NANOSECONDS);
            }
        } else if (writeDeadline != null) {
            writeDeadline.cancel(false);
            writeDeadline = null;
        }
        ctx.fireChannelWritabilityChanged();
    }

    /** Drops the connection of a client that does not read: a lost connection for the stream. */
    private void drop(String why) {
        if (dropped) {
            return;
        }
        dropped = true;
        LOG.info("connection of {} dropped: it {}", remoteAddress(), why);
        Channel c = channel;
        if (c != null) {
            c.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        XmppStream s = stream;
        if (s != null) {
            s.session().executor().execute(s::connectionLost);
            tracker.closed(s);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent idle) {
            if (idle.state() == IdleState.READER_IDLE) {
                stream.session().executor().execute(() ->
                        stream.streamError(StreamErrorCondition.CONNECTION_TIMEOUT, "idle for too long"));
            } else if (idle.state() == IdleState.WRITER_IDLE) {
                // Whitespace keepalive (RFC 6120 §4.6.1).
                ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {' '}));
            }
        } else if (evt instanceof SslHandshakeCompletionEvent done && !done.isSuccess()) {
            LOG.debug("TLS handshake with {} failed: {}", remoteAddress(), done.cause().getMessage());
            ctx.close();
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable root = cause.getCause() != null ? cause.getCause() : cause;
        if (root instanceof SSLHandshakeException) {
            LOG.debug("TLS failure from {}: {}", remoteAddress(), root.getMessage());
        } else {
            LOG.debug("connection from {} failed: {}", remoteAddress(), cause.toString());
        }
        ctx.close();
    }

    // ---- StreamTransport ----

    @Override
    public void send(String xml) {
        send(xml.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void send(byte[] bytes) {
        Channel c = channel;
        LoopWriter w = writer;
        if (c != null && w != null && c.isActive() && !dropped && !closing) {
            queued.addAndGet(bytes.length);
            long pending = pending(c);
            if (pending > limits.sendBuffer() && behind(pending)) {
                queued.addAndGet(-bytes.length);
                return;
            }
            // Handed to the channel's event loop, coalesced with whatever else it writes now (issue 18).
            w.write(this, bytes);
        }
    }

    /** Bytes on their way to the client: in the channel's outbound buffer and still in the loop's writer. */
    private long pending(Channel c) {
        ChannelOutboundBuffer out = c.unsafe().outboundBuffer();
        return (out == null ? 0 : out.totalPendingWriteBytes()) + queued.get();
    }

    /**
     * Writes one queued stanza to the channel without flushing (event loop only, from {@link LoopWriter});
     * true when the channel needs a flush for it.
     */
    boolean writeNow(byte[] bytes) {
        queued.addAndGet(-bytes.length);
        Channel c = channel;
        if (!c.isActive() || dropped) {
            return false;
        }
        boolean first = !flushPending;
        flushPending = true;
        c.write(Unpooled.wrappedBuffer(bytes)).addListener(progress);
        return first;
    }

    /** Flushes what {@link #writeNow} wrote in this batch (event loop only). */
    void flushNow() {
        flushPending = false;
        channel.flush();
    }

    /**
     * Behind by more than the send buffer: a client that reads is only catching up with a burst (offline
     * messages, a room's history), one that has taken nothing for a while is not reading and is dropped (true).
     * Until then, a timer looks again, so a client is dropped even if nothing more is sent to it.
     */
    private boolean behind(long pending) {
        long stalled = System.nanoTime() - lastProgress;
        if (stalled > STALL_NANOS || pending > (long) HARD_FACTOR * limits.sendBuffer()) {
            drop("is " + pending + " bytes behind and took nothing for " + stalled / 1_000_000 + " ms");
            return true;
        }
        if (!stallCheck) {
            stallCheck = true;
            Channel c = channel;
            c.eventLoop().schedule(() -> {
                stallCheck = false;
                long now = pending(c);
                if (now > limits.sendBuffer() && !dropped) {
                    behind(now);
                }
            }, STALL_NANOS - stalled + 1_000_000, TimeUnit.NANOSECONDS);
        }
        return false;
    }

    @Override
    public void abort() {
        drop("did not acknowledge its stanzas (XEP-0198)");
    }

    @Override
    public void close() {
        // Nothing sent after the close goes out (the stream's last word was its close); what was queued
        // before goes first: the close runs through the loop's writer, after the writes queued ahead of it.
        closing = true;
        Channel c = channel;
        if (c != null && c.isOpen()) {
            inOrder(() -> {
                if (c.isOpen()) {
                    c.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
                }
            });
        }
    }

    /** Runs {@code step} on the event loop after every write queued so far (through the loop's writer). */
    private void inOrder(Runnable step) {
        LoopWriter w = writer;
        if (w != null) {
            w.execute(this, step);
        } else {
            channel.eventLoop().execute(step);
        }
    }

    @Override
    public boolean isSecure() {
        return secure;
    }

    @Override
    public boolean canStartTls() {
        return !secure && sslContext != null;
    }

    @Override
    public void startTls(String proceed) {
        Channel c = channel;
        secure = true;
        // On the event loop after the writes queued before it; startTls=true lets <proceed/> out in clear.
        inOrder(() -> {
            SslHandler ssl = new SslHandler(sslContext.newEngine(c.alloc()), true);
            c.pipeline().addFirst("tls", ssl);
            c.writeAndFlush(Unpooled.wrappedBuffer(proceed.getBytes(StandardCharsets.UTF_8)));
        });
    }

    @Override
    public String remoteAddress() {
        Channel c = channel;
        if (c != null && c.remoteAddress() instanceof InetSocketAddress address) {
            return address.getAddress().getHostAddress();
        }
        return "unknown";
    }
}
