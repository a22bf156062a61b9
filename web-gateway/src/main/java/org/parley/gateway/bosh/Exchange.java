package org.parley.gateway.bosh;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.parley.gateway.Peers;

/**
 * One BOSH HTTP request waiting for its response. Jetty's {@code handle} returned long ago; the response is
 * written whenever the session has something to say or the request's wait runs out, from whatever thread
 * that happens on. Answered at most once; later attempts are ignored.
 */
final class Exchange {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Exchange.class);

    static final String DEFAULT_CONTENT_TYPE = "text/xml; charset=utf-8";

    private final Request request;
    private final Response response;
    private final Callback callback;
    private final AtomicBoolean answered = new AtomicBoolean();

    Exchange(Request request, Response response, Callback callback) {
        this.request = request;
        this.response = response;
        this.callback = callback;
    }

    /** HTTPS, or a client on this machine: see {@link Peers#isProtected}. */
    boolean isProtected() {
        return Peers.isProtected(request);
    }

    boolean isTls() {
        return request.isSecure();
    }

    String remoteAddress() {
        return Peers.address(request);
    }

    /** 200 OK with a {@code <body/>}. */
    void answer(String contentType, String body) {
        answer(contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    /** 200 OK with a {@code <body/>} already in UTF-8 (the session builds its responses as bytes). */
    void answer(String contentType, byte[] bytes) {
        if (!answered.compareAndSet(false, true)) {
            return;
        }
        if (LOG.isTraceEnabled()) {
            LOG.trace("BOSH out to {}: {}", remoteAddress(), new String(bytes, StandardCharsets.UTF_8));
        }
        response.setStatus(HttpStatus.OK_200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        response.write(true, ByteBuffer.wrap(bytes), callback);
    }

    /** A terminal binding condition (XEP-0124 §17.2) for a request that belongs to no live session. */
    void terminate(String condition) {
        answer(DEFAULT_CONTENT_TYPE, "<body type='terminate' condition='" + condition + "' xmlns='"
                + BoshBody.NS_HTTPBIND + "'/>");
    }

    /** An HTTP error with a one-line explanation. */
    void fail(int status, String message) {
        if (answered.compareAndSet(false, true)) {
            Response.writeError(request, response, callback, status, message);
        }
    }
}
