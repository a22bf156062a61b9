package org.parley.gateway;

import java.net.URI;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jetty.JettyConnectionMetrics;
import io.micrometer.core.instrument.binder.jetty.JettyServerThreadPoolMetrics;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.core.server.WebSocketUpgradeHandler;
import org.parley.gateway.bosh.BoshHandler;
import org.parley.gateway.bosh.BoshSessions;
import org.parley.gateway.discovery.HostMeta;
import org.parley.gateway.monitoring.HealthEndpoint;
import org.parley.gateway.monitoring.MetricsEndpoint;
import org.parley.gateway.page.ChatPage;
import org.parley.gateway.upload.UploadHandler;
import org.parley.gateway.websocket.XmppWebSocketEndpoint;
import org.parley.server.ParleyServer;
import org.parley.server.config.ServerSettings;
import org.parley.server.upload.HttpUploads;
import org.parley.server.tls.ServerCertificate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web gateway: Jetty 12 (core handlers, no servlets) in the server's process, on {@code http.port} and,
 * when set, {@code http.tls-port} with the server's certificate. It serves
 *
 * <ul>
 *   <li>{@value XmppWebSocketEndpoint#PATH}: XMPP over WebSocket (RFC 7395);</li>
 *   <li>{@value BoshHandler#PATH}: BOSH (XEP-0124, XEP-0206);</li>
 *   <li>{@value HostMeta#XRD_PATH} and {@value HostMeta#JSON_PATH}: discovery (XEP-0156);</li>
 *   <li>{@value HttpUploads#PATH}: HTTP file upload (XEP-0363, {@link UploadHandler});</li>
 *   <li>everything else: the browser chat page ({@link ChatPage}).</li>
 * </ul>
 *
 * Both transports open ordinary streams on the {@link ParleyServer} ({@link ParleyServer#openStream}), so
 * every rule of the TCP listener (SASL policy, stanza limits, restricted XML, ordering, errors) applies
 * unchanged. One timer thread serves BOSH waits and inactivity and WebSocket keepalives; waiting requests
 * hold no thread.
 */
public final class WebGateway implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WebGateway.class);
    /** Room for the {@code <body>} wrapper and several small stanzas beside one stanza of the full size. */
    private static final int BODY_OVERHEAD = 16 * 1024;

    private final Server jetty;
    private final ScheduledThreadPoolExecutor timers;
    private final BoshSessions bosh;
    private final XmppWebSocketEndpoint webSocket;
    private final int httpPort;
    private final int httpsPort;
    private boolean closed;

    private WebGateway(Server jetty, ScheduledThreadPoolExecutor timers, BoshSessions bosh,
                       XmppWebSocketEndpoint webSocket, int httpPort, int httpsPort) {
        this.jetty = jetty;
        this.timers = timers;
        this.bosh = bosh;
        this.webSocket = webSocket;
        this.httpPort = httpPort;
        this.httpsPort = httpsPort;
    }

    /**
     * Binds the configured ports and starts serving; with both {@code http.port} and {@code http.tls-port} at -1
     * nothing is started and the ports report -1.
     */
    public static WebGateway start(ParleyServer server, ServerSettings settings) throws Exception {
        ServerSettings.Http http = settings.http();
        if (http.port() < 0 && http.tlsPort() < 0) {
            return new WebGateway(null, null, null, null, -1, -1);
        }
        // Sized to the cores (issue 18: 144 threads at idle after a load, most of them Jetty's): the handlers are
        // non-blocking, so more threads than a few per core only add stacks and context switches; idle ones go
        // after 10 s rather than Jetty's 60 s.
        int cores = Runtime.getRuntime().availableProcessors();
        QueuedThreadPool threads = new QueuedThreadPool(maxHttpThreads(cores), 2, 10_000);
        threads.setName("parley-http");
        threads.setDaemon(true);
        Server jetty = new Server(threads);
        jetty.setStopTimeout(2000);
        ErrorHandler errors = new ErrorHandler();
        errors.setShowStacks(false);
        jetty.setErrorHandler(errors);

        HttpConfiguration config = new HttpConfiguration();
        config.setSendServerVersion(false);
        config.setSendXPoweredBy(false);
        // Jetty's per-connection header cache costs ~100 KiB on every keep-alive connection that has served two
        // requests; BOSH keeps one such connection open per idle user, for a saving of microseconds per request.
        config.setHeaderCacheSize(0);
        // A BOSH request is held up to max-wait; an idle WebSocket lives up to limits.idle-timeout.
        Duration idle = max(settings.limits().idleTimeout(), http.bosh().maxWait().plusSeconds(30));
        List<ServerConnector> connectors = new ArrayList<>();
        ServerConnector plain = null;
        ServerConnector secure = null;
        try {
            if (http.port() >= 0) {
                plain = new ServerConnector(jetty, new HttpConnectionFactory(config));
                open(plain, "http.port", http.bindAddress(), http.port(), idle);
                connectors.add(plain);
            }
            if (http.tlsPort() >= 0) {
                HttpConfiguration tlsConfig = new HttpConfiguration(config);
                SecureRequestCustomizer customizer = new SecureRequestCustomizer();
                customizer.setSniHostCheck(false); // clients may use an IP address or another name for the host
                tlsConfig.addCustomizer(customizer);
                secure = new ServerConnector(jetty, tls(server.tlsCertificate()),
                        new HttpConnectionFactory(tlsConfig));
                open(secure, "http.tls-port", http.bindAddress(), http.tlsPort(), idle);
                connectors.add(secure);
            }
        } catch (RuntimeException e) {
            connectors.forEach(ServerConnector::close);
            throw e;
        }
        int httpPort = plain == null ? -1 : plain.getLocalPort();
        int httpsPort = secure == null ? -1 : secure.getLocalPort();
        connectors.forEach(jetty::addConnector);

        OriginPolicy origins = new OriginPolicy(http.allowedOrigins(), settings.domain(), httpPort, httpsPort,
                http.publicUrl());
        ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1, named("parley-http-timer"));
        timers.setRemoveOnCancelPolicy(true);
        BoshSessions bosh = new BoshSessions(server, settings, timers);
        XmppWebSocketEndpoint webSocket = new XmppWebSocketEndpoint(server, origins, settings.limits());
        // Each handler answers its own paths; anything else falls through to Jetty's 404.
        Handler routes = new Handler.Sequence(
                uploads(server, settings, httpPort, httpsPort),
                http.bosh().enabled()
                        ? new BoshHandler(bosh, origins, settings.limits().stanzaBytes() + BODY_OVERHEAD,
                                settings.limits().preAuthStanzaBytes())
                        : declineAll(),
                new HostMeta(settings.domain(), httpPort, httpsPort, http.bosh().enabled() ? BoshHandler.PATH : null,
                        XmppWebSocketEndpoint.PATH, http.publicUrl()),
                new UpgradeRequired(),
                new HealthEndpoint(server::readiness),
                metricsEndpoint(server, jetty, http.metrics()),
                new ChatPage(settings.domain(), XmppWebSocketEndpoint.PATH, BoshHandler.PATH,
                        settings.limits().stanzaBytes())
                        .withUploadsAt(server.uploads() == null ? null : server.uploads().baseUrl()));
        WebSocketUpgradeHandler upgrade = new WebSocketUpgradeHandler(webSocket::configure);
        upgrade.setHandler(routes);
        jetty.setHandler(upgrade);
        try {
            jetty.start();
        } catch (Exception e) {
            timers.shutdownNow();
            jetty.stop();
            throw new IllegalStateException("web gateway failed to start: " + e.getMessage(), e);
        }
        webSocket.start(timers);
        LOG.info("web gateway: http {}, https {}", httpPort < 0 ? "off" : http.bindAddress() + ":" + httpPort,
                httpsPort < 0 ? "off" : http.bindAddress() + ":" + httpsPort);
        return new WebGateway(jetty, timers, bosh, webSocket, httpPort, httpsPort);
    }

    /**
     * {@code /metrics} over the server's meters plus Jetty's thread pool and connections, or a handler that
     * declines every request when metrics are off (the path then falls through to 404).
     */
    private static Handler metricsEndpoint(ParleyServer server, Server jetty, ServerSettings.Metrics settings) {
        if (!settings.enabled()) {
            return declineAll();
        }
        MeterRegistry meters = server.metrics().registry();
        new JettyServerThreadPoolMetrics(jetty.getThreadPool(), Tags.empty()).bindTo(meters);
        JettyConnectionMetrics.addToAllConnectors(jetty, meters);
        return new MetricsEndpoint(server.metrics()::scrape, settings);
    }

    /** A handler for a switched-off endpoint: its path falls through to 404. */
    private static Handler declineAll() {
        return new Handler.Abstract.NonBlocking() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                return false;
            }
        };
    }

    /**
     * XEP-0363 PUT/GET below {@value HttpUploads#PATH} when the upload service runs (else a handler that
     * declines); tells the service this gateway's address unless {@code upload.public-url} names another.
     */
    private static Handler uploads(ParleyServer server, ServerSettings settings, int httpPort, int httpsPort) {
        HttpUploads uploads = server.uploads();
        if (uploads == null) {
            return new Handler.Sequence();
        }
        uploads.gatewayAt(URI.create(httpPort >= 0 ? "http://" + settings.domain() + ":" + httpPort + HttpUploads.PATH
                : "https://" + settings.domain() + ":" + httpsPort + HttpUploads.PATH));
        return UploadHandler.mounted(uploads);
    }

    private static void open(ServerConnector connector, String key, String host, int port, Duration idle) {
        connector.setHost(host);
        connector.setPort(port);
        connector.setIdleTimeout(idle.toMillis());
        try {
            connector.open();
        } catch (Exception e) {
            throw new IllegalStateException(key + ": cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    /** TLS 1.2 and 1.3 with the XMPP listeners' key and certificate chain. */
    private static SslContextFactory.Server tls(ServerCertificate certificate) throws Exception {
        byte[] secret = new byte[18];
        new SecureRandom().nextBytes(secret);
        String password = Base64.getEncoder().encodeToString(secret); // in memory only
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("parley", certificate.key(), password.toCharArray(), certificate.chain());
        SslContextFactory.Server ssl = new SslContextFactory.Server();
        ssl.setKeyStore(store);
        ssl.setKeyStorePassword(password);
        ssl.setKeyManagerPassword(password);
        ssl.setIncludeProtocols("TLSv1.3", "TLSv1.2");
        return ssl;
    }

    /** Bound HTTP port, -1 when off. */
    public int httpPort() {
        return httpPort;
    }

    /** Bound HTTPS port, -1 when off. */
    public int httpsPort() {
        return httpsPort;
    }

    /** Live BOSH sessions. */
    public int boshSessions() {
        return bosh == null ? 0 : bosh.size();
    }

    /** BOSH requests being held, over all sessions. */
    public int heldBoshRequests() {
        return bosh == null ? 0 : bosh.heldRequests();
    }

    /** HTTP threads running a task right now; requests held by BOSH sessions are not among them. */
    public int busyHttpThreads() {
        return jetty == null ? 0 : ((QueuedThreadPool) jetty.getThreadPool()).getBusyThreads();
    }

    /** The bound of Jetty's thread pool (0 without HTTP). */
    int maxHttpThreads() {
        return jetty == null ? 0 : ((QueuedThreadPool) jetty.getThreadPool()).getMaxThreads();
    }

    /** Open WebSocket connections. */
    public int webSockets() {
        return webSocket == null ? 0 : webSocket.openConnections();
    }

    /** WebSocket flushes handed to another thread since start (see {@link XmppWebSocketEndpoint#flusherHandOffs}). */
    public long webSocketFlusherHandOffs() {
        return webSocket == null ? 0 : webSocket.flusherHandOffs();
    }

    /**
     * Stops serving. Stop the {@link ParleyServer} first: its shutdown tells every web client
     * {@code system-shutdown} through the still-running gateway. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed || jetty == null) {
            closed = true;
            return;
        }
        closed = true;
        long started = System.nanoTime();
        bosh.shutdown();
        webSocket.stop();
        try {
            jetty.stop();
            LOG.debug("web gateway stopped in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        } catch (Exception e) {
            LOG.warn("web gateway did not stop cleanly: {}", e.toString());
        }
        timers.shutdownNow();
        try {
            timers.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private static java.util.concurrent.ThreadFactory named(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** A plain HTTP request for the WebSocket endpoint: say how to use it. */
    private static final class UpgradeRequired extends Handler.Abstract.NonBlocking {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            if (!XmppWebSocketEndpoint.PATH.equals(Request.getPathInContext(request))) {
                return false;
            }
            response.getHeaders().put(HttpHeader.UPGRADE, "websocket");
            Response.writeError(request, response, callback, HttpStatus.UPGRADE_REQUIRED_426,
                    "connect with a WebSocket client and the 'xmpp' subprotocol (RFC 7395)");
            return true;
        }
    }

    /** Jetty's pool bound: 8 per core, at least 16 (acceptor, selectors and reserved threads leave room). */
    static int maxHttpThreads(int cores) {
        return Math.max(16, 8 * cores);
    }
}
