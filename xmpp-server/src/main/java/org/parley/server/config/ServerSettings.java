package org.parley.server.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Parley's validated settings: the typed form of {@code config/parley.conf} after file, environment and
 * command-line overrides were applied (see {@link SettingsLoader}). Every value here is already checked
 * against its bounds.
 *
 * @param domain       the XMPP domain served, e.g. {@code localhost}
 * @param dataDirectory where the embedded database, generated certificate and uploads live
 * @param c2s          client-to-server TCP listener (RFC 6120)
 * @param tls          certificate and key
 * @param storage      database backend
 * @param registration in-band registration (XEP-0077)
 * @param limits       stanza sizes, timeouts and queue caps
 * @param admins       bare JIDs allowed to use the XEP-0133 admin commands
 * @param http         the web gateway listener (used by web-gateway)
 */
public record ServerSettings(String domain, Path dataDirectory, C2s c2s, Tls tls, StorageSettings storage,
                             Registration registration, Limits limits, List<String> admins, Http http) {

    /**
     * @param bindAddress     address both TCP listeners bind to
     * @param port            STARTTLS port (5222 by default; 0 picks a free port)
     * @param starttlsRequired whether a client must negotiate TLS before SASL (default true)
     * @param directTlsPort   XEP-0368 Direct TLS port (5223 by default; 0 picks a free port; -1 disables)
     */
    public record C2s(String bindAddress, int port, boolean starttlsRequired, int directTlsPort) {
    }

    /**
     * @param certificateFile PEM certificate chain or PKCS#12 file; null generates a self-signed one
     * @param keyFile         PEM private key (with a PEM certificate); null otherwise
     * @param password        PKCS#12 password; null when none
     */
    public record Tls(Path certificateFile, Path keyFile, String password) {
    }

    /**
     * @param jdbcUrl  null for the embedded database in the data directory
     * @param user     database user
     * @param password database password
     * @param poolSize maximum pooled connections
     */
    public record StorageSettings(String jdbcUrl, String user, String password, int poolSize) {
    }

    /**
     * @param enabled            whether XEP-0077 account creation is open
     * @param perAddressPerHour  accounts one IP address may create per hour
     */
    public record Registration(boolean enabled, int perAddressPerHour) {
    }

    /**
     * @param stanzaBytes        largest stanza accepted after authentication (RFC 6120 §13.12)
     * @param preAuthStanzaBytes largest stanza accepted before authentication
     * @param idleTimeout        a connection silent this long is closed
     * @param keepaliveInterval  whitespace keepalive sent after this much outbound silence
     * @param offlinePerUser     offline messages kept per user (XEP-0160)
     * @param scramIterations    PBKDF2 iterations for new SCRAM verifiers
     */
    public record Limits(int stanzaBytes, int preAuthStanzaBytes, Duration idleTimeout, Duration keepaliveInterval,
                         int offlinePerUser, int scramIterations) {
    }

    /**
     * @param bindAddress    address the HTTP and HTTPS listeners bind to
     * @param port           HTTP port (8080 by default; 0 picks a free port; -1 disables)
     * @param tlsPort        HTTPS port with the server's certificate (-1 by default: off; 0 picks a free port)
     * @param allowedOrigins web origins allowed to use BOSH and WebSocket: {@code self} (the server's own
     *                       http(s)://domain:port origins), {@code loopback} (http(s)://localhost, 127.0.0.1 or
     *                       [::1], any port), {@code *} (any), or explicit {@code scheme://host[:port]} origins
     * @param bosh           BOSH session limits (XEP-0124)
     */
    public record Http(String bindAddress, int port, int tlsPort, List<String> allowedOrigins, Bosh bosh) {

        public static final List<String> DEFAULT_ORIGINS = List.of("self", "loopback");

        public Http {
            allowedOrigins = List.copyOf(allowedOrigins);
        }

        /** The given listener, everything else at its default. */
        public Http(String bindAddress, int port) {
            this(bindAddress, port, -1, DEFAULT_ORIGINS, Bosh.DEFAULTS);
        }
    }

    /**
     * @param maxWait    longest a request is held waiting for data; a client's larger 'wait' is lowered to it
     * @param inactivity a session with no request for this long (and none held) ends
     * @param maxPause   longest pause a client may ask for ('maxpause')
     */
    public record Bosh(Duration maxWait, Duration inactivity, Duration maxPause) {
        public static final Bosh DEFAULTS = new Bosh(Duration.ofSeconds(60), Duration.ofSeconds(30),
                Duration.ofSeconds(120));
    }

    /** Settings for tests and embedding: the given domain and data directory, free ports, defaults elsewhere. */
    public static ServerSettings forTesting(String domain, Path dataDirectory) {
        return new ServerSettings(domain, dataDirectory,
                new C2s("127.0.0.1", 0, true, 0),
                new Tls(null, null, null),
                new StorageSettings(null, null, null, 4),
                new Registration(true, 1000),
                new Limits(256 * 1024, 16 * 1024, Duration.ofMinutes(5), Duration.ofSeconds(60), 1000, 4096),
                List.of("admin@" + domain),
                new Http("127.0.0.1", 0));
    }
}
