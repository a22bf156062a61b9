package org.parley.gateway.monitoring;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * {@value #LIVE} and {@value #READY} for systemd, Kubernetes probes and load balancers. Live: the process
 * answers HTTP (200 whenever this handler runs). Ready: the checks the server lists all pass (client listeners
 * accepting, database answering a query); otherwise 503 with each failing check's reason. The body is a small
 * JSON object; it names checks, never users or configuration.
 */
public final class HealthEndpoint extends Handler.Abstract {

    public static final String LIVE = "/health/live";
    public static final String READY = "/health/ready";
    /** A readiness probe answers within this, even when the database hangs. */
    static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final Function<Duration, Map<String, String>> readiness;

    /** @param readiness each check's name with null when it passes, else a one-line reason */
    public HealthEndpoint(Function<Duration, Map<String, String>> readiness) {
        this.readiness = readiness;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        boolean ready = READY.equals(path);
        if (!ready && !LIVE.equals(path)) {
            return false;
        }
        if (!HttpMethod.GET.is(request.getMethod()) && !HttpMethod.HEAD.is(request.getMethod())) {
            response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
            Response.writeError(request, response, callback, HttpStatus.METHOD_NOT_ALLOWED_405, "use GET");
            return true;
        }
        int status = HttpStatus.OK_200;
        String body;
        if (ready) {
            // Blocking (the database query, bounded by TIMEOUT): this handler is not NonBlocking, so Jetty runs
            // it on a pool thread rather than the selector.
            Map<String, String> checks = readiness.apply(TIMEOUT);
            boolean allPass = checks.values().stream().allMatch(v -> v == null);
            status = allPass ? HttpStatus.OK_200 : HttpStatus.SERVICE_UNAVAILABLE_503;
            body = json(allPass ? "ready" : "unready", checks);
        } else {
            body = "{\"status\":\"live\"}";
        }
        byte[] bytes = (body + "\n").getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        if (HttpMethod.HEAD.is(request.getMethod())) {
            callback.succeeded();
        } else {
            response.write(true, ByteBuffer.wrap(bytes), callback);
        }
        return true;
    }

    static String json(String status, Map<String, String> checks) {
        StringBuilder json = new StringBuilder("{\"status\":\"").append(status).append("\",\"checks\":{");
        boolean first = true;
        for (Map.Entry<String, String> check : checks.entrySet()) {
            if (!first) {
                json.append(',');
            }
            first = false;
            json.append('"').append(escape(check.getKey())).append("\":\"")
                    .append(check.getValue() == null ? "ok" : escape(check.getValue())).append('"');
        }
        return json.append("}}").toString();
    }

    private static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
