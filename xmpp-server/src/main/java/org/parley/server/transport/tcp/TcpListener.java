package org.parley.server.transport.tcp;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import org.parley.server.config.ServerSettings;
import org.parley.server.session.StreamTransport;
import org.parley.server.stream.XmppStream;

/**
 * A client-to-server TCP listener: STARTTLS (RFC 6120 §5, port 5222) or Direct TLS (XEP-0368, port 5223),
 * on Netty.
 */
public final class TcpListener implements AutoCloseable {

    private final Channel serverChannel;

    private TcpListener(Channel serverChannel) {
        this.serverChannel = serverChannel;
    }

    /**
     * Binds and starts accepting.
     *
     * @param directTls       TLS from the first byte instead of STARTTLS
     * @param idleTimeout     a connection that sends nothing this long is closed
     * @param keepalive       a whitespace keepalive is sent after this much outbound silence
     * @param limits          read rates, send buffer and write timeout (issue 17)
     */
    public static TcpListener bind(String host, int port, boolean directTls, SslContext sslContext,
                                   EventLoopGroup boss, EventLoopGroup workers, Duration idleTimeout,
                                   Duration keepalive, Function<StreamTransport, XmppStream> streams,
                                   ConnectionTracker tracker, ServerSettings.Guard limits)
            throws InterruptedException {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                // Netty's defaults, stated: above 64 KiB of pending output the channel is unwritable, which
                // starts the write timeout; below 32 KiB it is writable again (issue 17).
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 * 1024, 64 * 1024))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (directTls) {
                            ch.pipeline().addLast("tls", sslContext.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast("idle", new IdleStateHandler(idleTimeout.toMillis(),
                                keepalive.toMillis(), 0, TimeUnit.MILLISECONDS));
                        ch.pipeline().addLast("xmpp", new C2sConnection(sslContext, directTls, streams, tracker,
                                limits));
                    }
                });
        Channel channel = bootstrap.bind(new InetSocketAddress(host, port)).sync().channel();
        return new TcpListener(channel);
    }

    /** The port actually bound (useful when 0 was asked for). */
    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** Whether the listener still accepts connections (readiness). */
    public boolean isOpen() {
        return serverChannel.isActive();
    }

    /** Stops accepting; open connections are ended by the server separately. */
    @Override
    public void close() {
        serverChannel.close().syncUninterruptibly();
    }
}
