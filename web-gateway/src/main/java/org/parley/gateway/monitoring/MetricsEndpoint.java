package org.parley.gateway.monitoring;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.parley.gateway.Peers;
import org.parley.server.config.ServerSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@value #PATH}: the server's meters in the Prometheus text exposition format (version 0.0.4), for a
 * Prometheus scrape. Readable from loopback only, unless a bearer token is configured, which every request must
 * then carry: the figures (who is online how much, memory) are for the operator, and there is no second,
 * weaker way in (no cookie, no query-string token, no proxy header trusted for the address).
 *
 * <p>Blocking, not {@code NonBlocking}: a scrape reads gauges that may query the database (the offline queue's
 * COUNT, at most every 30 s), which must not run on a thread Jetty expects never to block.
 */
public final class MetricsEndpoint extends Handler.Abstract {

    public static final String PATH = "/metrics";
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    private static final Logger LOG = LoggerFactory.getLogger(MetricsEndpoint.class);

    private final java.util.function.Supplier<String> scrape;
    private final byte[] token;

    /** @param scrape the meters in the text exposition format ({@code ServerMetrics#scrape}) */
    public MetricsEndpoint(java.util.function.Supplier<String> scrape, ServerSettings.Metrics settings) {
        this.scrape = scrape;
        this.token = settings.token() == null ? null : settings.token().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        if (!PATH.equals(Request.getPathInContext(request))) {
            return false;
        }
        if (!HttpMethod.GET.is(request.getMethod()) && !HttpMethod.HEAD.is(request.getMethod())) {
            response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
            Response.writeError(request, response, callback, HttpStatus.METHOD_NOT_ALLOWED_405, "read metrics with GET");
            return true;
        }
        String refusal = refusal(request);
        if (refusal != null) {
            LOG.info("metrics refused: ip={} reason={}", Peers.address(request), refusal);
            if (token != null) {
                response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"parley-metrics\"");
                Response.writeError(request, response, callback, HttpStatus.UNAUTHORIZED_401, refusal);
            } else {
                Response.writeError(request, response, callback, HttpStatus.FORBIDDEN_403, refusal);
            }
            return true;
        }
        byte[] body = scrape.get().getBytes(StandardCharsets.UTF_8);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, CONTENT_TYPE);
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        if (HttpMethod.HEAD.is(request.getMethod())) {
            callback.succeeded();
        } else {
            response.write(true, ByteBuffer.wrap(body), callback);
        }
        return true;
    }

    /** Null when the request may read the metrics, else why not (one line, safe to show). */
    private String refusal(Request request) {
        if (token == null) {
            return Peers.isLoopback(Peers.address(request)) ? null
                    : "metrics are readable from this machine only (set http.metrics.token to allow others)";
        }
        String authorization = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return "a bearer token is required";
        }
        byte[] offered = authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        // Constant time: the comparison must not tell how much of a guess was right.
        return MessageDigest.isEqual(offered, token) ? null : "wrong bearer token";
    }
}
