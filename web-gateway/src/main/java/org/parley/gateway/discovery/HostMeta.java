package org.parley.gateway.discovery;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.parley.gateway.Cors;

/**
 * XEP-0156 discovery of the web endpoints: {@value #XRD_PATH} (RFC 6415 XRD) and {@value #JSON_PATH} (its JSON
 * form) list the WebSocket ({@code urn:xmpp:alt-connections:websocket}) and BOSH
 * ({@code urn:xmpp:alt-connections:xbosh}) URLs, secure ones first. The URLs use the host name the client
 * asked for (it reached this server under it) and the listening ports; behind a reverse proxy (the usual
 * set-up for port 443, where XEP-0156 clients look) they are the configured {@code http.public-url}'s alone,
 * since the ports the gateway listens on are not reachable from outside. Public information: any origin may
 * read it ({@code Access-Control-Allow-Origin: *}).
 */
public final class HostMeta extends Handler.Abstract.NonBlocking {

    public static final String XRD_PATH = "/.well-known/host-meta";
    public static final String JSON_PATH = "/.well-known/host-meta.json";
    public static final String REL_WEBSOCKET = "urn:xmpp:alt-connections:websocket";
    public static final String REL_BOSH = "urn:xmpp:alt-connections:xbosh";

    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.\\-]{1,253}|\\[[0-9A-Fa-f:.]{2,45}\\]");

    private final String domain;
    private final int httpPort;
    private final int httpsPort;
    private final String boshPath;
    private final String webSocketPath;
    private final java.net.URI publicUrl;

    /**
     * @param httpPort  the bound HTTP port, -1 when off
     * @param httpsPort the bound HTTPS port, -1 when off
     * @param boshPath  null when BOSH is off
     */
    public HostMeta(String domain, int httpPort, int httpsPort, String boshPath, String webSocketPath) {
        this(domain, httpPort, httpsPort, boshPath, webSocketPath, null);
    }

    /** @param publicUrl the gateway's address behind a reverse proxy ({@code http.public-url}), or null */
    public HostMeta(String domain, int httpPort, int httpsPort, String boshPath, String webSocketPath,
                    java.net.URI publicUrl) {
        this.domain = domain;
        this.httpPort = httpPort;
        this.httpsPort = httpsPort;
        this.boshPath = boshPath;
        this.webSocketPath = webSocketPath;
        this.publicUrl = publicUrl;
    }

    record Link(String rel, String href) {
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        boolean json = JSON_PATH.equals(path);
        if (!json && !XRD_PATH.equals(path)) {
            return false;
        }
        Cors.allowAnyOrigin(response);
        if (Cors.isPreflight(request)) {
            Cors.answerPreflight(response, callback, "GET, HEAD, OPTIONS");
            return true;
        }
        if (!HttpMethod.GET.is(request.getMethod()) && !HttpMethod.HEAD.is(request.getMethod())) {
            response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD, OPTIONS");
            Response.writeError(request, response, callback, HttpStatus.METHOD_NOT_ALLOWED_405, "host-meta is read with GET");
            return true;
        }
        List<Link> links = links(request);
        String body = json ? json(links) : xrd(links);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE,
                json ? "application/json" : "application/xrd+xml; charset=utf-8");
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        if (HttpMethod.HEAD.is(request.getMethod())) {
            callback.succeeded();
        } else {
            response.write(true, java.nio.ByteBuffer.wrap(bytes), callback);
        }
        return true;
    }

    List<Link> links(Request request) {
        if (publicUrl != null) {
            return publicLinks();
        }
        String host = Request.getServerName(request);
        if (host != null && host.indexOf(':') >= 0 && !host.startsWith("[")) {
            host = "[" + host + "]";
        }
        if (host == null || !HOST.matcher(host).matches()) {
            host = domain;
        }
        boolean overTls = request.isSecure();
        int requestPort = Request.getServerPort(request);
        List<Link> links = new ArrayList<>();
        if (httpsPort >= 0) {
            String base = host + ":" + (overTls && requestPort > 0 ? requestPort : httpsPort);
            links.add(new Link(REL_WEBSOCKET, "wss://" + base + webSocketPath));
            if (boshPath != null) {
                links.add(new Link(REL_BOSH, "https://" + base + boshPath));
            }
        }
        if (httpPort >= 0) {
            String base = host + ":" + (!overTls && requestPort > 0 ? requestPort : httpPort);
            links.add(new Link(REL_WEBSOCKET, "ws://" + base + webSocketPath));
            if (boshPath != null) {
                links.add(new Link(REL_BOSH, "http://" + base + boshPath));
            }
        }
        return links;
    }

    /** wss:// and https:// under an https public URL (ws:// and http:// under an http one), its path kept. */
    List<Link> publicLinks() {
        boolean secure = "https".equalsIgnoreCase(publicUrl.getScheme());
        String path = publicUrl.getRawPath() == null ? "" : publicUrl.getRawPath().replaceAll("/+$", "");
        String authority = publicUrl.getRawAuthority();
        List<Link> links = new ArrayList<>();
        links.add(new Link(REL_WEBSOCKET, (secure ? "wss://" : "ws://") + authority + path + webSocketPath));
        if (boshPath != null) {
            links.add(new Link(REL_BOSH, (secure ? "https://" : "http://") + authority + path + boshPath));
        }
        return links;
    }

    static String xrd(List<Link> links) {
        StringBuilder xml = new StringBuilder("<?xml version='1.0' encoding='utf-8'?>\n"
                + "<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>\n");
        for (Link link : links) {
            xml.append("  <Link rel='").append(link.rel()).append("' href='").append(link.href()).append("'/>\n");
        }
        return xml.append("</XRD>\n").toString();
    }

    static String json(List<Link> links) {
        StringBuilder json = new StringBuilder("{\"links\":[");
        for (int i = 0; i < links.size(); i++) {
            Link link = links.get(i);
            json.append(i == 0 ? "" : ",").append("{\"rel\":\"").append(link.rel()).append("\",\"href\":\"")
                    .append(link.href()).append("\"}");
        }
        return json.append("]}").toString();
    }
}
