package org.parley.gateway;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Cross-origin resource sharing for the HTTP endpoints (the Fetch standard's CORS protocol): browsers let a
 * page's script read a response from another origin only when the response names that origin (or {@code *}),
 * and ask first with an OPTIONS "preflight" before a POST with {@code Content-Type: text/xml}.
 */
public final class Cors {

    private static final String MAX_AGE = "86400";

    private Cors() {
    }

    /** The request's Origin header, or null when it has none (a non-browser client). */
    public static String origin(Request request) {
        return request.getHeaders().get(HttpHeader.ORIGIN);
    }

    /**
     * Checks the request's origin against {@code policy}; answers 403 and returns false when it is not allowed.
     * Otherwise returns true and, for a browser request, adds the headers that let the page read the response.
     */
    public static boolean admit(OriginPolicy policy, Request request, Response response, Callback callback) {
        String origin = origin(request);
        if (origin == null) {
            return true;
        }
        if (!policy.allows(origin)) {
            Response.writeError(request, response, callback, HttpStatus.FORBIDDEN_403,
                    "origin " + origin + " is not allowed (setting http.allowed-origins)");
            return false;
        }
        response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        response.getHeaders().add(HttpHeader.VARY, "Origin");
        return true;
    }

    /** True for a CORS preflight: OPTIONS with Access-Control-Request-Method. */
    public static boolean isPreflight(Request request) {
        return HttpMethod.OPTIONS.is(request.getMethod())
                && request.getHeaders().contains(HttpHeader.ACCESS_CONTROL_REQUEST_METHOD);
    }

    /** Answers an (already admitted) preflight: the listed methods, and Content-Type as a request header. */
    public static void answerPreflight(Response response, Callback callback, String methods) {
        response.setStatus(HttpStatus.NO_CONTENT_204);
        response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_METHODS, methods);
        response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_HEADERS, "Content-Type");
        response.getHeaders().put(HttpHeader.ACCESS_CONTROL_MAX_AGE, MAX_AGE);
        response.getHeaders().put(new HttpField(HttpHeader.ALLOW, methods));
        callback.succeeded();
    }

    /** Public, read-only information (discovery): any page may read it. */
    public static void allowAnyOrigin(Response response) {
        response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_ORIGIN, "*");
    }
}
