package org.parley.gateway.page;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.MimeTypes;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.ResourceService;
import org.eclipse.jetty.server.handler.ResourceHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.resource.Resource;
import org.eclipse.jetty.util.resource.ResourceFactory;

/**
 * The browser chat page at the root of the web gateway: static ES modules, CSS and HTML from the classpath
 * ({@code web/} in this module's resources), served by Jetty's {@link ResourceHandler} (ETags, conditional
 * requests, no directory listing), plus {@value #CONFIG_PATH}, which tells the page the XMPP domain and the
 * paths of its two transports so nothing is hard-coded in the scripts.
 *
 * <p>Every response carries a Content-Security-Policy that allows scripts, styles, images and connections to
 * this origin only — {@code ws:}/{@code wss:} to this same host are named explicitly, because CSP Level 2
 * browsers do not let {@code 'self'} match WebSocket schemes — and forbids inline script, plugins, framing
 * and form posts elsewhere. So even a message that got past the page's text rendering could not run code.
 *
 * <p>The one other origin named is the XEP-0363 upload service's ({@code upload.public-url}, or the gateway's
 * {@code http://<domain>:<port>}, which need not be the address the page was loaded from): images from it and
 * connections (the PUT of an upload) to it. Pictures from anywhere else are not fetched, which also keeps a
 * shared link from telling a third party who read the message.
 */
public final class ChatPage extends Handler.Wrapper {

    /** The page's configuration: domain and transport paths (JSON). */
    public static final String CONFIG_PATH = "/parley-client.json";
    /** A Host header we are willing to echo into the CSP: host name or IP literal and optional port. */
    private static final Pattern SAFE_HOST = Pattern.compile("[A-Za-z0-9.\\-]{1,253}(:[0-9]{1,5})?|\\[[0-9A-Fa-f:.]{2,45}](:[0-9]{1,5})?");
    private static final String BASE_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
            + "object-src 'none'";

    private final byte[] config;
    /** " <scheme>://<host>[:port]" of the upload service, or "" for none. */
    private String fileOrigin = "";

    /**
     * @param domain         the XMPP domain users log in to
     * @param webSocketPath  path of the RFC 7395 endpoint
     * @param boshPath       path of the BOSH endpoint
     */
    public ChatPage(String domain, String webSocketPath, String boshPath) {
        this(domain, webSocketPath, boshPath, 0);
    }

    /**
     * @param maxStanzaBytes the server's stanza limit (limits.stanza-size), so the page refuses a too-large
     *                       message itself instead of being disconnected for it; 0 when unknown
     */
    public ChatPage(String domain, String webSocketPath, String boshPath, int maxStanzaBytes) {
        this.config = ("{\"domain\":\"" + jsonEscape(domain) + "\",\"websocket\":\"" + jsonEscape(webSocketPath)
                + "\",\"bosh\":\"" + jsonEscape(boshPath) + "\",\"maxStanzaBytes\":" + Math.max(0, maxStanzaBytes)
                + "}").getBytes(StandardCharsets.UTF_8);
        ResourceHandler files = new ResourceHandler();
        Resource base = ResourceFactory.of(files).newClassLoaderResource("web/");
        if (base == null) {
            throw new IllegalStateException("the chat page's files (web/ on the classpath) are missing");
        }
        files.setBaseResource(base);
        files.setDirAllowed(false);
        files.setWelcomeFiles(List.of("index.html"));
        files.setWelcomeMode(ResourceService.WelcomeMode.SERVE);
        files.setAcceptRanges(false);
        files.setEtags(true);
        // Revalidate every time (cheap with ETags) so that a new version of the page is never mixed with cached
        // modules of the old one.
        files.setCacheControl("no-cache");
        MimeTypes.Mutable types = new MimeTypes.Mutable();
        types.addMimeMapping("js", "text/javascript;charset=utf-8");
        types.addMimeMapping("mjs", "text/javascript;charset=utf-8");
        types.addMimeMapping("css", "text/css;charset=utf-8");
        types.addMimeMapping("html", "text/html;charset=utf-8");
        types.addMimeMapping("svg", "image/svg+xml");
        types.addMimeMapping("json", "application/json");
        files.setMimeTypes(types);
        setHandler(files);
    }

    /**
     * Allows images from and connections to the origin of {@code uploadBase} (the upload service's URL prefix;
     * null for none).
     */
    public ChatPage withUploadsAt(java.net.URI uploadBase) {
        String origin = uploadBase == null || uploadBase.getScheme() == null || uploadBase.getRawAuthority() == null
                ? null : uploadBase.getScheme().toLowerCase(java.util.Locale.ROOT) + "://" + uploadBase.getRawAuthority();
        fileOrigin = origin != null && origin.matches("https?://(?:" + SAFE_HOST.pattern() + ")") ? " " + origin : "";
        return this;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String method = request.getMethod();
        if (!HttpMethod.GET.is(method) && !HttpMethod.HEAD.is(method)) {
            return false;
        }
        response.getHeaders().put("Content-Security-Policy", policy(request, fileOrigin));
        response.getHeaders().put("X-Content-Type-Options", "nosniff");
        response.getHeaders().put("Referrer-Policy", "no-referrer");
        response.getHeaders().put("X-Frame-Options", "DENY");
        if (CONFIG_PATH.equals(Request.getPathInContext(request))) {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
            response.write(true, HttpMethod.HEAD.is(method) ? ByteBuffer.allocate(0) : ByteBuffer.wrap(config), callback);
            return true;
        }
        return super.handle(request, response, callback);
    }

    /**
     * The policy, with WebSocket connections allowed to the host the page was loaded from, and images from and
     * connections to {@code fileOrigin} (" origin" or "").
     */
    static String policy(Request request, String fileOrigin) {
        HttpField hostField = request.getHeaders().getField(HttpHeader.HOST);
        String host = hostField == null ? null : hostField.getValue();
        String connect = "connect-src 'self'";
        if (host != null && SAFE_HOST.matcher(host).matches()) {
            connect += " ws://" + host + " wss://" + host;
        }
        return BASE_POLICY.replace("img-src 'self' data:", "img-src 'self' data:" + fileOrigin) + "; " + connect + fileOrigin;
    }

    private static String jsonEscape(String s) {
        StringBuilder out = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20 || c == '<' || c == '>') {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
