package org.parley.gateway.bosh;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.thread.Invocable;
import org.parley.gateway.Cors;
import org.parley.gateway.OriginPolicy;
import org.parley.gateway.Peers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The BOSH endpoint at {@value #PATH} (Jetty core handler, no servlets): CORS for browser pages from allowed
 * origins (with the OPTIONS preflight), POST only, the body read without blocking and capped, then handed to
 * the {@link BoshSessions}. {@code handle} returns at once; the response is written when the session answers.
 */
public final class BoshHandler extends Handler.Abstract.NonBlocking {

    public static final String PATH = "/http-bind";

    private static final Logger LOG = LoggerFactory.getLogger(BoshHandler.class);
    private static final String METHODS = "POST, OPTIONS";

    private final BoshSessions sessions;
    private final OriginPolicy origins;
    private final int maxBodyBytes;
    private final int headerLimit;

    /**
     * @param maxBodyBytes largest request body read; larger ones get 413
     * @param headerLimit  largest {@code <body>} start tag
     */
    public BoshHandler(BoshSessions sessions, OriginPolicy origins, int maxBodyBytes, int headerLimit) {
        this.sessions = sessions;
        this.origins = origins;
        this.maxBodyBytes = maxBodyBytes;
        this.headerLimit = headerLimit;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        if (!PATH.equals(path) && !(PATH + "/").equals(path)) {
            return false;
        }
        if (!Cors.admit(origins, request, response, callback)) {
            return true;
        }
        if (Cors.isPreflight(request)) {
            Cors.answerPreflight(response, callback, METHODS);
            return true;
        }
        if (!HttpMethod.POST.is(request.getMethod())) {
            response.getHeaders().put(HttpHeader.ALLOW, METHODS);
            Response.writeError(request, response, callback, HttpStatus.METHOD_NOT_ALLOWED_405,
                    "BOSH (XEP-0124) takes POST requests");
            return true;
        }
        if (request.getLength() > maxBodyBytes) {
            // Closed after the answer, not drained: the rest of the body is never read (issue 17).
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
            Response.writeError(request, response, callback, HttpStatus.PAYLOAD_TOO_LARGE_413,
                    "request body larger than " + maxBodyBytes + " bytes");
            return true;
        }
        Exchange exchange = new Exchange(request, response, callback);
        // BLOCKING only in Jetty's sense: parsing a large body is work for a pool thread, not for the selector.
        Content.Source.asByteArrayAsync(request, maxBodyBytes, Promise.Invocable.from(Invocable.InvocationType.BLOCKING,
                bytes -> received(bytes, exchange),
                failure -> {
                    LOG.debug("BOSH request from {} not read: {}", Peers.address(request), failure.toString());
                    response.getHeaders().put(HttpHeader.CONNECTION, "close");
                    exchange.fail(HttpStatus.PAYLOAD_TOO_LARGE_413, "request body larger than " + maxBodyBytes + " bytes");
                }));
        return true;
    }

    private void received(byte[] bytes, Exchange exchange) {
        if (LOG.isTraceEnabled()) {
            LOG.trace("BOSH in from {}: {}", exchange.remoteAddress(), new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
        }
        BoshBody body;
        try {
            body = BoshBody.parse(bytes, headerLimit, sessions::stanzaLimitFor);
        } catch (BoshBody.Malformed e) {
            LOG.debug("malformed BOSH request from {}: {}", exchange.remoteAddress(), e.getMessage());
            exchange.terminate("bad-request");
            return;
        }
        try {
            sessions.handle(body, exchange);
        } catch (RuntimeException e) {
            LOG.error("BOSH request from {} failed", exchange.remoteAddress(), e);
            exchange.terminate("internal-server-error");
        }
    }
}
