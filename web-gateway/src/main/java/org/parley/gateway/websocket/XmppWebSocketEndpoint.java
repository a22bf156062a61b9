package org.parley.gateway.websocket;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.Configuration;
import org.eclipse.jetty.websocket.core.FrameHandler;
import org.eclipse.jetty.websocket.core.server.ServerUpgradeRequest;
import org.eclipse.jetty.websocket.core.server.ServerUpgradeResponse;
import org.eclipse.jetty.websocket.core.server.WebSocketNegotiator;
import org.eclipse.jetty.websocket.core.server.WebSocketUpgradeHandler;
import org.parley.gateway.Cors;
import org.parley.gateway.OriginPolicy;
import org.parley.gateway.Peers;
import org.parley.server.ParleyServer;
import org.parley.server.config.ServerSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RFC 7395 endpoint at {@value #PATH}: accepts a WebSocket upgrade only with the {@value #SUBPROTOCOL}
 * subprotocol (echoed in the handshake response; 400 without it) and only from an allowed origin (403
 * otherwise), and turns each connection into an XMPP stream. Idle connections get a WebSocket ping after the
 * keepalive interval (RFC 7395 §3.8: no whitespace keepalives over WebSocket), and a connection from which
 * nothing, not even a pong, arrives for the idle timeout ends with {@code <connection-timeout/>}, both from the
 * server's {@code limits} settings; one timer serves all connections.
 *
 * <p>Built on Jetty's core WebSocket layer (frames, explicit demand) rather than its WebSocket API: the API's
 * session keeps the whole upgrade request and response, and through them the HTTP connection's parser and
 * channel, for the life of the connection (about 3 KiB per idle connection); the core session keeps only the
 * negotiated result.
 */
public final class XmppWebSocketEndpoint implements WebSocketNegotiator {

    public static final String PATH = "/xmpp-websocket";
    public static final String SUBPROTOCOL = "xmpp";

    private static final Logger LOG = LoggerFactory.getLogger(XmppWebSocketEndpoint.class);
    /** Frames are cut into pieces of at most this size before they reach the endpoint (no whole-frame buffering). */
    private static final int MAX_FRAME_PIECE = 64 * 1024;
    /** A peer that does not read while this many messages queue up is disconnected. */
    private static final int MAX_QUEUED_MESSAGES = 10_000;
    /** Jetty's output buffer per connection, and with it the largest batched frame (a quarter: 4 KiB). */
    private static final int OUTPUT_BUFFER = 16 * 1024;

    private final ParleyServer server;
    private final OriginPolicy origins;
    private final ServerSettings.Limits limits;
    private final Set<XmppWebSocket> open = ConcurrentHashMap.newKeySet();
    private ScheduledFuture<?> keepalive;
    /** One per core, made with the first connection (they run on Jetty's thread pool); connections take turns. */
    private volatile WebSocketFlusher[] flushers;
    private final java.util.concurrent.atomic.AtomicInteger nextFlusher = new java.util.concurrent.atomic.AtomicInteger();

    public XmppWebSocketEndpoint(ParleyServer server, OriginPolicy origins, ServerSettings.Limits limits) {
        this.server = server;
        this.origins = origins;
        this.limits = limits;
    }

    /** Registers the endpoint with Jetty's WebSocket upgrade handler. */
    public void configure(WebSocketUpgradeHandler upgrades) {
        upgrades.addMapping(PATH, this);
    }

    @Override
    public void customize(Configuration configuration) {
        // The idle timeout proper is the keepalive timer's (inbound silence); Jetty's, which any traffic resets
        // (our pings too), only catches peers that stop answering after the stream was closed.
        configuration.setIdleTimeout(limits.idleTimeout());
        configuration.setMaxFrameSize(MAX_FRAME_PIECE);
        configuration.setAutoFragment(true);
        configuration.setMaxOutgoingFrames(MAX_QUEUED_MESSAGES);
        // Frames under a quarter of this are batched (Jetty's FrameFlusher); the buffer is taken from the pool
        // while a batch fills and returned at its flush, so an idle connection holds none.
        configuration.setOutputBufferSize(OUTPUT_BUFFER);
    }

    /**
     * Flushes run by a {@link WebSocketFlusher} task since start: writes handed from the writer's thread to
     * another, each a thread wake-up, rather than flushed at the end of the writer's own {@code WriteBatch}.
     */
    public long flusherHandOffs() {
        WebSocketFlusher[] all = flushers;
        long sum = 0;
        if (all != null) {
            for (WebSocketFlusher f : all) {
                sum += f.flushed();
            }
        }
        return sum;
    }

    private WebSocketFlusher flusher(java.util.concurrent.Executor executor) {
        WebSocketFlusher[] all = flushers;
        if (all == null) {
            synchronized (this) {
                all = flushers;
                if (all == null) {
                    all = new WebSocketFlusher[Runtime.getRuntime().availableProcessors()];
                    for (int i = 0; i < all.length; i++) {
                        all[i] = new WebSocketFlusher(executor);
                    }
                    flushers = all;
                }
            }
        }
        return all[Math.floorMod(nextFlusher.getAndIncrement(), all.length)];
    }

    /** Starts the keepalive timer on {@code scheduler}. */
    public void start(ScheduledExecutorService scheduler) {
        long interval = limits.keepaliveInterval().toNanos();
        long timeout = limits.idleTimeout().toNanos();
        long period = Math.max(Duration.ofMillis(500).toNanos(), Math.min(interval, timeout) / 2);
        keepalive = scheduler.scheduleAtFixedRate(() -> {
            long now = System.nanoTime();
            for (XmppWebSocket socket : open) {
                socket.keepalive(now, interval, timeout);
            }
        }, period, period, TimeUnit.NANOSECONDS);
    }

    public void stop() {
        if (keepalive != null) {
            keepalive.cancel(false);
        }
    }

    @Override
    public FrameHandler negotiate(ServerUpgradeRequest request, ServerUpgradeResponse response, Callback callback) {
        String origin = Cors.origin(request);
        if (origin != null && !origins.allows(origin)) {
            LOG.info("WebSocket from {} refused: origin {} is not allowed", Peers.address(request), origin);
            Response.writeError(request, response, callback, HttpStatus.FORBIDDEN_403,
                    "origin " + origin + " is not allowed (setting http.allowed-origins)");
            return null;
        }
        if (!request.hasSubProtocol(SUBPROTOCOL)) {
            LOG.debug("WebSocket from {} refused: no xmpp subprotocol", Peers.address(request));
            Response.writeError(request, response, callback, HttpStatus.BAD_REQUEST_400,
                    "the WebSocket subprotocol 'xmpp' is required (RFC 7395 §3.1)");
            return null;
        }
        response.setAcceptedSubProtocol(SUBPROTOCOL);
        return new XmppWebSocket(server, this, flusher(request.getComponents().getExecutor()),
                Peers.isProtected(request), Peers.address(request));
    }

    void opened(XmppWebSocket socket) {
        open.add(socket);
    }

    void closed(XmppWebSocket socket) {
        open.remove(socket);
    }

    /** Open WebSocket connections. */
    public int openConnections() {
        return open.size();
    }
}
