package org.parley.server.proxy;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TCP side of the SOCKS5 Bytestreams proxy (XEP-0065 §6): a minimal SOCKS5 server (RFC 1928, no
 * authentication, CONNECT to a domain name only) that pairs the target's and the initiator's connections
 * by the DST.ADDR they both send, SHA-1(SID + initiator JID + target JID) in hex, and relays bytes between
 * them once the initiator activated the stream over XMPP (§6.3). Every transfer is bounded: bytes (both
 * directions together), time from its first connection, and the number of transfers at once.
 */
public final class Socks5Relay implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Socks5Relay.class);
    private static final int HASH_LENGTH = 40;
    private static final Object ACTIVATE = new Object();

    /** The two connections of one transfer. */
    private static final class Pair {
        final String hash;
        volatile Channel target;
        volatile Channel initiator;
        volatile boolean active;
        final AtomicLong bytes = new AtomicLong();
        volatile ScheduledFuture<?> deadline;

        Pair(String hash) {
            this.hash = hash;
        }

        Channel peerOf(Channel ch) {
            return ch == target ? initiator : target;
        }

        void close() {
            if (deadline != null) {
                deadline.cancel(false);
            }
            // After what was already relayed to each side has been written out.
            if (target != null) {
                target.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
            if (initiator != null) {
                initiator.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
        }
    }

    private final Channel serverChannel;
    private final Map<String, Pair> pairs = new ConcurrentHashMap<>();
    private final long maxBytes;
    private final Duration maxDuration;
    private final int maxTransfers;

    private Socks5Relay(ServerBootstrap bootstrap, String host, int port, long maxBytes, Duration maxDuration,
                        int maxTransfers) throws InterruptedException {
        this.maxBytes = maxBytes;
        this.maxDuration = maxDuration;
        this.maxTransfers = maxTransfers;
        bootstrap.childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast("socks5", new Connection());
            }
        });
        this.serverChannel = bootstrap.bind(new InetSocketAddress(host, port)).sync().channel();
    }

    /** Binds the relay; {@code port} 0 picks a free one. */
    public static Socks5Relay bind(String host, int port, EventLoopGroup boss, EventLoopGroup workers, long maxBytes,
                                   Duration maxDuration, int maxTransfers) throws InterruptedException {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.AUTO_READ, true);
        return new Socks5Relay(bootstrap, host, port, maxBytes, maxDuration, maxTransfers);
    }

    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** Transfers with at least one connection right now. */
    public int transfers() {
        return pairs.size();
    }

    /** The outcome of an activation request (§6.3). */
    public enum Activation { ACTIVATED, UNKNOWN, INCOMPLETE }

    /** Starts relaying the transfer {@code hash} when both of its connections are there. */
    public Activation activate(String hash) {
        Pair pair = pairs.get(hash);
        if (pair == null) {
            return Activation.UNKNOWN;
        }
        synchronized (pair) {
            if (pair.target == null || pair.initiator == null) {
                return Activation.INCOMPLETE;
            }
            if (!pair.active) {
                pair.active = true;
                pair.target.pipeline().fireUserEventTriggered(ACTIVATE);
                pair.initiator.pipeline().fireUserEventTriggered(ACTIVATE);
            }
        }
        return Activation.ACTIVATED;
    }

    @Override
    public void close() {
        serverChannel.close().syncUninterruptibly();
        pairs.values().forEach(Pair::close);
        pairs.clear();
    }

    /** One client connection: SOCKS5 negotiation, then waiting, then relaying. */
    private final class Connection extends ChannelInboundHandlerAdapter {
        private ByteBuf in = Unpooled.buffer(64);
        private boolean greeted;
        private Pair pair;
        private boolean relaying;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf data = (ByteBuf) msg;
            if (relaying) {
                forward(ctx, data);
                return;
            }
            try {
                if (pair != null) {
                    // Bytes before activation wait (the client should not send yet); bounded like any transfer.
                    if (in.readableBytes() + data.readableBytes() > 64 * 1024) {
                        ctx.close();
                        return;
                    }
                    in.writeBytes(data);
                    return;
                }
                if (in.readableBytes() + data.readableBytes() > 1024) {
                    ctx.close(); // no SOCKS5 handshake is this long
                    return;
                }
                in.writeBytes(data);
            } finally {
                data.release();
            }
            negotiate(ctx);
        }

        private void negotiate(ChannelHandlerContext ctx) {
            if (!greeted) {
                // RFC 1928 §3: VER NMETHODS METHODS; only "no authentication" (0) is offered.
                if (in.readableBytes() < 2) {
                    return;
                }
                int n = in.getUnsignedByte(in.readerIndex() + 1);
                if (in.readableBytes() < 2 + n) {
                    return;
                }
                boolean version = in.readByte() == 5;
                in.skipBytes(1);
                boolean noAuth = false;
                for (int i = 0; i < n; i++) {
                    noAuth |= in.readByte() == 0;
                }
                if (!version || !noAuth) {
                    ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {5, (byte) 0xFF}))
                            .addListener(ChannelFutureListener.CLOSE);
                    return;
                }
                greeted = true;
                ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {5, 0}));
            }
            // RFC 1928 §4: VER CMD RSV ATYP DST.ADDR DST.PORT; XEP-0065 §5.3.2: CONNECT, domain name, port 0.
            if (in.readableBytes() < 5) {
                return;
            }
            int length = in.getUnsignedByte(in.readerIndex() + 4);
            if (in.readableBytes() < 5 + length + 2) {
                return;
            }
            byte ver = in.readByte();
            byte cmd = in.readByte();
            in.skipBytes(1);
            byte atyp = in.readByte();
            in.skipBytes(1);
            String hash = in.readCharSequence(length, StandardCharsets.US_ASCII).toString();
            in.skipBytes(2);
            if (ver != 5 || cmd != 1) {
                reply(ctx, 7, hash, true); // command not supported
                return;
            }
            if (atyp != 3 || length != HASH_LENGTH) {
                reply(ctx, 8, hash, true); // address type not supported
                return;
            }
            Pair joined = join(hash, ctx.channel());
            if (joined == null) {
                reply(ctx, 2, hash, true); // not allowed: a third connection, or too many transfers
                return;
            }
            pair = joined;
            ctx.channel().config().setAutoRead(false); // nothing more is read until the activation
            reply(ctx, 0, hash, false);
        }

        private void reply(ChannelHandlerContext ctx, int status, String hash, boolean close) {
            byte[] address = hash.getBytes(StandardCharsets.US_ASCII);
            ByteBuf out = Unpooled.buffer(7 + address.length);
            out.writeByte(5).writeByte(status).writeByte(0).writeByte(3).writeByte(address.length).writeBytes(address)
                    .writeShort(0);
            var written = ctx.writeAndFlush(out);
            if (close) {
                written.addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event != ACTIVATE) {
                ctx.fireUserEventTriggered(event);
                return;
            }
            relaying = true;
            if (in.isReadable()) {
                ByteBuf early = in;
                in = Unpooled.EMPTY_BUFFER;
                forward(ctx, early);
            }
            ctx.channel().config().setAutoRead(true);
        }

        private void forward(ChannelHandlerContext ctx, ByteBuf data) {
            Channel peer = pair.peerOf(ctx.channel());
            long total = pair.bytes.addAndGet(data.readableBytes());
            if (peer == null || total > maxBytes) {
                data.release();
                if (total > maxBytes) {
                    LOG.info("bytestream {} closed: more than {} bytes", pair.hash, maxBytes);
                }
                end();
                return;
            }
            peer.writeAndFlush(data);
            if (!peer.isWritable()) {
                ctx.channel().config().setAutoRead(false); // the peer's socket is full: stop reading this side
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (pair != null && ctx.channel().isWritable()) {
                Channel peer = pair.peerOf(ctx.channel());
                if (peer != null && relaying) {
                    peer.config().setAutoRead(true);
                }
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (in.refCnt() > 0 && in != Unpooled.EMPTY_BUFFER) {
                in.release();
            }
            end();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("bytestream connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }

        private void end() {
            if (pair != null) {
                pairs.remove(pair.hash, pair);
                pair.close();
            }
        }
    }

    /** The target connects first, the initiator second (§6.3.1-§6.3.2); anything beyond is refused. */
    private Pair join(String hash, Channel ch) {
        Pair[] joined = new Pair[1];
        pairs.compute(hash, (h, existing) -> {
            if (existing == null) {
                if (pairs.size() >= maxTransfers) {
                    return null;
                }
                Pair fresh = new Pair(h);
                fresh.target = ch;
                fresh.deadline = ch.eventLoop().schedule(() -> {
                    LOG.info("bytestream {} closed: longer than {}", h, maxDuration);
                    pairs.remove(h, fresh);
                    fresh.close();
                }, maxDuration.toMillis(), TimeUnit.MILLISECONDS);
                joined[0] = fresh;
                return fresh;
            }
            synchronized (existing) {
                if (existing.initiator == null && existing.target != ch) {
                    existing.initiator = ch;
                    joined[0] = existing;
                }
            }
            return existing;
        });
        return joined[0];
    }
}
