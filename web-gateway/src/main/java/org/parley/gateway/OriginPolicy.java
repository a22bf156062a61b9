package org.parley.gateway;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which web origins may use the BOSH and WebSocket endpoints (setting {@code http.allowed-origins}). Browsers
 * send the origin of the page whose script makes the request; refusing unknown origins keeps a page on
 * another site from using a visitor's browser (and its cookies or network position) to talk to this server
 * (cross-site WebSocket hijacking, CORS). Requests without an Origin header come from non-browser clients and
 * are not subject to this policy.
 *
 * <p>Entries: {@code self} (this server's own origins: {@code http://<domain>:<http port>} and
 * {@code https://<domain>:<https port>}), {@code loopback} ({@code http(s)://localhost}, {@code 127.0.0.1} or
 * {@code [::1]} on any port), {@code *} (everything), or an explicit origin {@code scheme://host[:port]}.
 */
public final class OriginPolicy {

    private static final Set<String> LOOPBACK_HOSTS = Set.of("localhost", "127.0.0.1", "[::1]");

    private final boolean any;
    private final boolean loopback;
    private final Set<String> origins = new HashSet<>();

    /**
     * @param entries   the setting's entries, already validated
     * @param domain    the XMPP domain, the host of the server's own origins
     * @param httpPort  the bound HTTP port, -1 when HTTP is off
     * @param httpsPort the bound HTTPS port, -1 when HTTPS is off
     */
    public OriginPolicy(List<String> entries, String domain, int httpPort, int httpsPort) {
        this(entries, domain, httpPort, httpsPort, null);
    }

    /**
     * @param publicUrl {@code http.public-url}, or null: behind a reverse proxy, pages come from its origin,
     *                  which is then one of the server's own ({@code self})
     */
    public OriginPolicy(List<String> entries, String domain, int httpPort, int httpsPort, java.net.URI publicUrl) {
        boolean anyOrigin = false;
        boolean loopbackOrigins = false;
        for (String entry : entries) {
            switch (entry) {
                case "*" -> anyOrigin = true;
                case "loopback" -> loopbackOrigins = true;
                case "self" -> {
                    if (httpPort >= 0) {
                        origins.add(normalize("http://" + domain + ":" + httpPort));
                    }
                    if (httpsPort >= 0) {
                        origins.add(normalize("https://" + domain + ":" + httpsPort));
                    }
                    if (publicUrl != null) {
                        String origin = normalize(publicUrl.getScheme() + "://" + publicUrl.getRawAuthority());
                        if (origin != null) {
                            origins.add(origin);
                        }
                    }
                }
                default -> {
                    String origin = normalize(entry);
                    if (origin != null) {
                        origins.add(origin);
                    }
                }
            }
        }
        this.any = anyOrigin;
        this.loopback = loopbackOrigins;
    }

    /** True when a page from {@code origin} (an Origin header value) may use the endpoints. */
    public boolean allows(String origin) {
        if (any) {
            return true;
        }
        String normalized = normalize(origin);
        if (normalized == null) {
            return false; // "null" (sandboxed pages, file:) and anything malformed
        }
        if (origins.contains(normalized)) {
            return true;
        }
        if (loopback) {
            URI uri = URI.create(normalized);
            return LOOPBACK_HOSTS.contains(uri.getHost());
        }
        return false;
    }

    /** {@code scheme://host[:port]} in lower case, without a default port; null unless an http(s) origin. */
    static String normalize(String origin) {
        if (origin == null) {
            return null;
        }
        URI uri;
        try {
            uri = new URI(origin.strip());
        } catch (URISyntaxException e) {
            return null;
        }
        String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        String host = uri.getHost();
        if (!("http".equals(scheme) || "https".equals(scheme)) || host == null || uri.getRawUserInfo() != null
                || !(uri.getRawPath() == null || uri.getRawPath().isEmpty()) || uri.getRawQuery() != null
                || uri.getRawFragment() != null) {
            return null;
        }
        int port = uri.getPort();
        boolean defaultPort = port == -1 || ("http".equals(scheme) && port == 80) || ("https".equals(scheme) && port == 443);
        return scheme + "://" + host.toLowerCase(Locale.ROOT) + (defaultPort ? "" : ":" + port);
    }
}
