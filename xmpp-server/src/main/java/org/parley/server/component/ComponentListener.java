package org.parley.server.component;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;

/**
 * The TCP listener for external components (XEP-0114, {@code jabber:component:accept}). It has no TLS: the
 * link is meant for trusted services on loopback or a private network.
 */
public final class ComponentListener implements AutoCloseable {

    /** XEP-0114 §3: a component that has not proved its secret by then is disconnected. */
    static final long HANDSHAKE_TIMEOUT_MILLIS = 10_000;

    private final Channel serverChannel;
    private final ChannelGroup connections;

    private ComponentListener(Channel serverChannel, ChannelGroup connections) {
        this.serverChannel = serverChannel;
        this.connections = connections;
    }

    /**
     * @param components     the configured components by subdomain label
     * @param maxStanzaBytes the stanza size limit once authenticated; before, the pre-authentication one
     * @param executors      a fresh serial executor per connection
     */
    public static ComponentListener bind(String host, int port, EventLoopGroup boss, EventLoopGroup workers,
                                         Map<String, ExternalComponent> components, String domain,
                                         int maxStanzaBytes, int preAuthBytes, Supplier<Executor> executors)
            throws InterruptedException {
        ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
        java.util.concurrent.atomic.AtomicInteger unauthenticated = new java.util.concurrent.atomic.AtomicInteger();
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.add(ch);
                        ch.pipeline().addLast("component", new ComponentConnection(components, domain,
                                maxStanzaBytes, preAuthBytes, HANDSHAKE_TIMEOUT_MILLIS, executors.get(),
                                unauthenticated));
                    }
                });
        Channel channel = bootstrap.bind(new InetSocketAddress(host, port)).sync().channel();
        return new ComponentListener(channel, connections);
    }

    /** The port actually bound (useful when 0 was asked for). */
    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** Stops accepting and ends every component connection with {@code <system-shutdown/>} (at most 2 s). */
    @Override
    public void close() {
        serverChannel.close().syncUninterruptibly();
        for (Channel c : connections) {
            ComponentConnection connection = c.pipeline().get(ComponentConnection.class);
            if (connection != null) {
                connection.shutdown();
            }
        }
        connections.newCloseFuture().awaitUninterruptibly(2_000);
        connections.close().awaitUninterruptibly();
    }
}
