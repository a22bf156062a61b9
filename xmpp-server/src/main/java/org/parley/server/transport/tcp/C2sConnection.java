package org.parley.server.transport.tcp;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import javax.net.ssl.SSLHandshakeException;

import org.parley.server.stream.StreamErrorCondition;
import org.parley.server.stream.StreamTransport;
import org.parley.server.stream.XmppStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;

/**
 * One client TCP connection: bytes from Netty go to the {@link XmppStream} on the session's serial
 * executor; what the stream sends is written back in order. Reading pauses while too much input waits to
 * be processed, so a flooding client slows down instead of filling memory.
 */
final class C2sConnection extends ChannelInboundHandlerAdapter implements StreamTransport {

    private static final Logger LOG = LoggerFactory.getLogger(C2sConnection.class);
    private static final long PAUSE_READING_AT = 1 << 20;
    private static final long RESUME_READING_AT = 256 << 10;

    private final SslContext sslContext;
    private final Function<StreamTransport, XmppStream> streams;
    private final ConnectionTracker tracker;
    private final AtomicLong pendingBytes = new AtomicLong();
    private volatile boolean secure;
    private volatile Channel channel;
    private XmppStream stream;

    C2sConnection(SslContext sslContext, boolean directTls, Function<StreamTransport, XmppStream> streams,
                  ConnectionTracker tracker) {
        this.sslContext = sslContext;
        this.secure = directTls;
        this.streams = streams;
        this.tracker = tracker;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
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
        stream.session().executor().execute(() -> {
            stream.receive(bytes, 0, bytes.length);
            if (pendingBytes.addAndGet(-bytes.length) < RESUME_READING_AT && !channel.config().isAutoRead()) {
                channel.config().setAutoRead(true);
            }
        });
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
        Channel c = channel;
        if (c != null && c.isActive()) {
            c.writeAndFlush(Unpooled.wrappedBuffer(xml.getBytes(StandardCharsets.UTF_8)), c.voidPromise());
        }
    }

    @Override
    public void close() {
        Channel c = channel;
        if (c != null && c.isOpen()) {
            c.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
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
        // On the event loop, so earlier writes stay ahead; startTls=true lets <proceed/> out in clear.
        c.eventLoop().execute(() -> {
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
