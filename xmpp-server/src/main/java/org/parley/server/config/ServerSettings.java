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
 * @param muc          the multi-user chat service (XEP-0045)
 * @param mam          the message archive (XEP-0313)
 * @param sm           stream management (XEP-0198)
 * @param upload       HTTP file upload (XEP-0363)
 * @param contacts     contact addresses in the server's disco#info (XEP-0157)
 * @param externalServices STUN/TURN servers announced to clients (XEP-0215)
 * @param mobile       blocking, client state indication, push notifications and the bytestreams proxy
 * @param components   external components (XEP-0114)
 */
public record ServerSettings(String domain, Path dataDirectory, C2s c2s, Tls tls, StorageSettings storage,
                             Registration registration, Limits limits, List<String> admins, Http http, Muc muc,
                             Mam mam, Sm sm, Upload upload, ContactAddresses contacts,
                             ExternalServices externalServices, Mobile mobile,
                             Components components) {

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
     * @param avatarBytes        largest avatar image accepted (XEP-0084 data, XEP-0153 vCard PHOTO), in bytes
     * @param guard              resource and abuse limits (issue 17): deadlines, per-address caps, buffers, rates
     */
    public record Limits(int stanzaBytes, int preAuthStanzaBytes, Duration idleTimeout, Duration keepaliveInterval,
                         int offlinePerUser, int scramIterations, int avatarBytes, Guard guard) {

        public static final int DEFAULT_AVATAR_BYTES = 128 * 1024;

        /** Limits with the default avatar size and the default {@link Guard}. */
        public Limits(int stanzaBytes, int preAuthStanzaBytes, Duration idleTimeout, Duration keepaliveInterval,
                      int offlinePerUser, int scramIterations) {
            this(stanzaBytes, preAuthStanzaBytes, idleTimeout, keepaliveInterval, offlinePerUser, scramIterations,
                    Math.min(DEFAULT_AVATAR_BYTES, maxAvatarBytes(stanzaBytes)), Guard.DEFAULTS);
        }

        /** Limits with this avatar size and the default {@link Guard}. */
        public Limits(int stanzaBytes, int preAuthStanzaBytes, Duration idleTimeout, Duration keepaliveInterval,
                      int offlinePerUser, int scramIterations, int avatarBytes) {
            this(stanzaBytes, preAuthStanzaBytes, idleTimeout, keepaliveInterval, offlinePerUser, scramIterations,
                    avatarBytes, Guard.DEFAULTS);
        }

        /** Limits with this {@link Guard} and the default avatar size. */
        public Limits(int stanzaBytes, int preAuthStanzaBytes, Duration idleTimeout, Duration keepaliveInterval,
                      int offlinePerUser, int scramIterations, Guard guard) {
            this(stanzaBytes, preAuthStanzaBytes, idleTimeout, keepaliveInterval, offlinePerUser, scramIterations,
                    Math.min(DEFAULT_AVATAR_BYTES, maxAvatarBytes(stanzaBytes)), guard);
        }

        /** The largest avatar whose base64 form (4/3 of it) fits a stanza with 4 KiB left for the rest. */
        public static int maxAvatarBytes(int stanzaBytes) {
            return Math.max(1024, (stanzaBytes - 4096) / 4 * 3);
        }

        /** These limits with another {@link Guard} (tests and embedding). */
        public Limits withGuard(Guard g) {
            return new Limits(stanzaBytes, preAuthStanzaBytes, idleTimeout, keepaliveInterval, offlinePerUser,
                    scramIterations, avatarBytes, g);
        }
    }

    /**
     * What keeps one client from taking the server down (all under {@code limits} in the configuration).
     *
     * @param headerTimeout           a connection that has not sent its stream header after this long is closed
     * @param authTimeout             a connection not authenticated after this long is closed
     * @param unauthenticatedPerAddress connections one IP address may hold open before authenticating
     * @param connectionsPerAddressPerMinute new connections one IP address may open per minute (a token bucket
     *                                holding a minute's worth)
     * @param preAuthReadRate         bytes per second read from a connection before it authenticates
     * @param readRate                bytes per second read from an authenticated connection
     * @param stanzaRate              stanzas per second one session may send (sustained)
     * @param stanzaBurst             stanzas one session may send at once above the sustained rate
     * @param sendBuffer              bytes that may wait for a client that does not read before it is disconnected
     * @param writeTimeout            a client that has not taken any of its pending output for this long is
     *                                disconnected
     * @param resumptionBuffer        bytes of unacknowledged stanzas kept per session for resumption (XEP-0198)
     * @param sessionsPerAccount      sessions (resources) one account may have bound at once
     * @param authFailuresPerAddress  failed authentications from one IP address before it is banned
     * @param authBan                 how long a ban lasts, and the window in which failures are counted
     * @param roomsPerHour            rooms one account may create per hour
     * @param archiveQueriesPerMinute archive queries one account may make per minute
     * @param quotas                  what one account may store (roster, private XML, pubsub items, rooms)
     */
    public record Guard(Duration headerTimeout, Duration authTimeout, int unauthenticatedPerAddress,
                        int connectionsPerAddressPerMinute, int preAuthReadRate, int readRate, int stanzaRate,
                        int stanzaBurst, int sendBuffer, Duration writeTimeout, int resumptionBuffer,
                        int sessionsPerAccount, int authFailuresPerAddress, Duration authBan, int roomsPerHour,
                        int archiveQueriesPerMinute, Quotas quotas) {

        /** These limits with the default {@link Quotas}. */
        public Guard(Duration headerTimeout, Duration authTimeout, int unauthenticatedPerAddress,
                     int connectionsPerAddressPerMinute, int preAuthReadRate, int readRate, int stanzaRate,
                     int stanzaBurst, int sendBuffer, Duration writeTimeout, int resumptionBuffer,
                     int sessionsPerAccount, int authFailuresPerAddress, Duration authBan, int roomsPerHour,
                     int archiveQueriesPerMinute) {
            this(headerTimeout, authTimeout, unauthenticatedPerAddress, connectionsPerAddressPerMinute,
                    preAuthReadRate, readRate, stanzaRate, stanzaBurst, sendBuffer, writeTimeout, resumptionBuffer,
                    sessionsPerAccount, authFailuresPerAddress, authBan, roomsPerHour, archiveQueriesPerMinute,
                    Quotas.DEFAULTS);
        }

        /** These limits with other {@link Quotas} (tests and embedding). */
        public Guard withQuotas(Quotas q) {
            return new Guard(headerTimeout, authTimeout, unauthenticatedPerAddress, connectionsPerAddressPerMinute,
                    preAuthReadRate, readRate, stanzaRate, stanzaBurst, sendBuffer, writeTimeout, resumptionBuffer,
                    sessionsPerAccount, authFailuresPerAddress, authBan, roomsPerHour, archiveQueriesPerMinute, q);
        }

        public static final Guard DEFAULTS = new Guard(Duration.ofSeconds(10), Duration.ofSeconds(60), 32, 600,
                16 * 1024, 256 * 1024, 100, 1000, 1024 * 1024, Duration.ofSeconds(60), 2 * 1024 * 1024, 10, 20,
                Duration.ofHours(1), 20, 120);

        /**
         * The defaults with the per-address and per-session rates out of the way: every test connects from
         * loopback, and most send faster than a person. Abuse tests set the limit they exercise.
         */
        public static final Guard FOR_TESTING = new Guard(Duration.ofSeconds(10), Duration.ofSeconds(60), 100_000,
                10_000_000, 16 * 1024 * 1024, 1024 * 1024 * 1024, 1_000_000, 10_000_000, 64 * 1024 * 1024,
                Duration.ofSeconds(60), 64 * 1024 * 1024, 1000, 1_000_000, Duration.ofHours(1), 1_000_000, 1_000_000);
    }

    /**
     * What one account may store (issue 17, under {@code limits}): each bound is checked when something new
     * would be added, so changing an existing entry is always allowed.
     *
     * @param rosterItems      contacts in one roster; one more is refused with resource-constraint
     * @param privateXmlItems  private XML fragments (XEP-0049, one per element and namespace) of one account
     * @param pubsubItemBytes  largest item payload published to a pubsub or PEP node (XEP-0060 §7.1.3.6:
     *                         not-acceptable with payload-too-big)
     * @param roomsPerAccount  rooms (XEP-0045) one account may own at once
     * @param archiveMessages  messages kept in one account's archive (XEP-0313): the archive housekeeping
     *                         deletes the oldest beyond it
     * @param pubsubItems      items stored in one account's PEP nodes together; a new one beyond it is refused
     * @param pubsubNodes      PEP nodes of one account, and pubsub service nodes it owns; one more is refused
     */
    public record Quotas(int rosterItems, int privateXmlItems, int pubsubItemBytes, int roomsPerAccount,
                         int archiveMessages, int pubsubItems, int pubsubNodes) {
        public static final Quotas DEFAULTS = new Quotas(1000, 100, 256 * 1024, 100);

        /** These quotas with the default archive and pubsub counts (100 000 messages, 1000 items, 100 nodes). */
        public Quotas(int rosterItems, int privateXmlItems, int pubsubItemBytes, int roomsPerAccount) {
            this(rosterItems, privateXmlItems, pubsubItemBytes, roomsPerAccount, 100_000, 1000, 100);
        }
    }

    /**
     * @param bindAddress    address the HTTP and HTTPS listeners bind to
     * @param port           HTTP port (8080 by default; 0 picks a free port; -1 disables)
     * @param tlsPort        HTTPS port with the server's certificate (-1 by default: off; 0 picks a free port)
     * @param allowedOrigins web origins allowed to use BOSH and WebSocket: {@code self} (the server's own
     *                       http(s)://domain:port origins), {@code loopback} (http(s)://localhost, 127.0.0.1 or
     *                       [::1], any port), {@code *} (any), or explicit {@code scheme://host[:port]} origins
     * @param bosh           BOSH session limits (XEP-0124)
     * @param publicUrl      where clients reach the gateway through a reverse proxy (e.g. https://chat.example.org
     *                       on port 443); XEP-0156 host-meta then lists the WebSocket and BOSH URLs under it, and
     *                       its origin counts as {@code self}; null: the listeners' own addresses
     */
    public record Http(String bindAddress, int port, int tlsPort, List<String> allowedOrigins, Bosh bosh,
                       Metrics metrics, java.net.URI publicUrl) {

        public static final List<String> DEFAULT_ORIGINS = List.of("self", "loopback");

        public Http {
            allowedOrigins = List.copyOf(allowedOrigins);
        }

        /** These listeners, reached at their own addresses. */
        public Http(String bindAddress, int port, int tlsPort, List<String> allowedOrigins, Bosh bosh,
                    Metrics metrics) {
            this(bindAddress, port, tlsPort, allowedOrigins, bosh, metrics, null);
        }

        /** These settings behind a reverse proxy at {@code url} (tests and embedding). */
        public Http withPublicUrl(java.net.URI url) {
            return new Http(bindAddress, port, tlsPort, allowedOrigins, bosh, metrics, url);
        }

        /** These listeners with the default metrics endpoint. */
        public Http(String bindAddress, int port, int tlsPort, List<String> allowedOrigins, Bosh bosh) {
            this(bindAddress, port, tlsPort, allowedOrigins, bosh, Metrics.DEFAULTS);
        }

        /** The given listener, everything else at its default. */
        public Http(String bindAddress, int port) {
            this(bindAddress, port, -1, DEFAULT_ORIGINS, Bosh.DEFAULTS);
        }
    }

    /**
     * The Prometheus endpoint {@code /metrics} of the web gateway.
     *
     * @param enabled whether {@code /metrics} is served at all
     * @param token   null: only clients on the loopback interface may read it; otherwise every request must carry
     *                {@code Authorization: Bearer <token>}, from any address
     */
    public record Metrics(boolean enabled, String token) {
        public static final Metrics DEFAULTS = new Metrics(true, null);

        @Override
        public String toString() {
            return "Metrics[enabled=" + enabled + ", token=" + (token == null ? "none" : "***") + "]";
        }
    }

    /**
     * @param maxWait    longest a request is held waiting for data; a client's larger 'wait' is lowered to it
     * @param inactivity a session with no request for this long (and none held) ends
     * @param maxPause   longest pause a client may ask for ('maxpause')
     * @param enabled    false: {@code /http-bind} is not served (404), e.g. where only WebSocket is wanted
     */
    public record Bosh(Duration maxWait, Duration inactivity, Duration maxPause, boolean enabled) {
        public static final Bosh DEFAULTS = new Bosh(Duration.ofSeconds(60), Duration.ofSeconds(30),
                Duration.ofSeconds(120));

        /** Served, with these terms. */
        public Bosh(Duration maxWait, Duration inactivity, Duration maxPause) {
            this(maxWait, inactivity, maxPause, true);
        }

        /** These terms with BOSH on or off. */
        public Bosh withEnabled(boolean on) {
            return new Bosh(maxWait, inactivity, maxPause, on);
        }
    }

    /**
     * @param enabled          whether the chat service runs
     * @param subdomain        the service lives at {@code <subdomain>.<domain>}
     * @param rooms            persistent public rooms that exist at start (localparts, e.g. {@code lobby})
     * @param anyoneMayCreate  true: every user may create rooms; false: only server admins
     * @param historyLength    messages of history a new room keeps
     * @param maxHistoryLength most history a room owner may configure
     * @param maxUsers         occupant limit of a new room; 0 for none
     * @param archiveByDefault a new room is archived (XEP-0313) until its owner turns logging off
     */
    public record Muc(boolean enabled, String subdomain, List<String> rooms, boolean anyoneMayCreate,
                      int historyLength, int maxHistoryLength, int maxUsers, boolean archiveByDefault) {

        /** New rooms archived, as Prosody's {@code muc_log_by_default} does. */
        public Muc(boolean enabled, String subdomain, List<String> rooms, boolean anyoneMayCreate,
                   int historyLength, int maxHistoryLength, int maxUsers) {
            this(enabled, subdomain, rooms, anyoneMayCreate, historyLength, maxHistoryLength, maxUsers, true);
        }
    }

    /**
     * @param enabled     whether messages are archived and the archive can be queried
     * @param defaultMode what is archived for users who set no preferences (XEP-0313 §6.1)
     * @param retention   archived messages older than this are deleted; {@link Duration#ZERO} keeps them forever
     */
    public record Mam(boolean enabled, Mode defaultMode, Duration retention) {
        /** XEP-0313 §6.1 archiving behaviour: every message, only with roster contacts, or none. */
        public enum Mode { ALWAYS, ROSTER, NEVER }
    }

    /** These settings with other registration rules (tests and embedding). */
    public ServerSettings withRegistration(Registration r) {
        return new ServerSettings(domain, dataDirectory, c2s, tls, storage, r, limits, admins, http, muc, mam, sm,
                upload, contacts, externalServices, mobile, components);
    }

    /** These settings with another database (tests and embedding). */
    public ServerSettings withStorage(StorageSettings s) {
        return new ServerSettings(domain, dataDirectory, c2s, tls, s, registration, limits, admins, http, muc, mam, sm,
                upload, contacts, externalServices, mobile, components);
    }

    /** These settings with other limits (tests and embedding). */
    public ServerSettings withLimits(Limits l) {
        return new ServerSettings(domain, dataDirectory, c2s, tls, storage, registration, l, admins, http, muc, mam, sm,
                upload, contacts, externalServices, mobile, components);
    }

    /** These settings with another web gateway configuration (tests and embedding). */
    public ServerSettings withHttp(Http h) {
        return new ServerSettings(domain, dataDirectory, c2s, tls, storage, registration, limits, admins, h, muc, mam, sm,
                upload, contacts, externalServices, mobile, components);
    }

    /** These settings with other client listeners (tests and embedding). */
    public ServerSettings withC2s(C2s c) {
        return new ServerSettings(domain, dataDirectory, c, tls, storage, registration, limits, admins, http, muc, mam, sm,
                upload, contacts, externalServices, mobile, components);
    }

    /**
     * @param resumptionTimeout how long a session whose connection dropped waits to be resumed (XEP-0198 §5)
     */
    public record Sm(Duration resumptionTimeout) {
    }

    /** These settings with other stream management limits (tests and embedding). */
    public ServerSettings withSm(Sm s) {
        return new ServerSettings(domain, dataDirectory, c2s, tls, storage, registration, limits, admins, http, muc, mam, s,
                upload, contacts, externalServices, mobile, components);
    }

    /** These settings with another archive configuration (tests and embedding). */
    public ServerSettings withMam(Mam m) {
        return new ServerSettings(domain, dataDirectory, c2s, tls, storage, registration, limits, admins, http, muc, m, sm,
                upload, contacts, externalServices, mobile, components);
    }

    /** These settings with another chat service configuration (tests and embedding). */
    public ServerSettings withMuc(Muc m) {
        return new ServerSettings(domain, dataDirectory, c2s, tls, storage, registration, limits, admins, http, m, mam, sm,
                upload, contacts, externalServices, mobile, components);
    }

    /** Settings for tests and embedding: the given domain and data directory, free ports, defaults elsewhere. */
    public static ServerSettings forTesting(String domain, Path dataDirectory) {
        return new ServerSettings(domain, dataDirectory,
                new C2s("127.0.0.1", 0, true, 0),
                new Tls(null, null, null),
                new StorageSettings(null, null, null, 4),
                new Registration(true, 1000),
                new Limits(256 * 1024, 16 * 1024, Duration.ofMinutes(5), Duration.ofSeconds(60), 1000, 4096,
                        Guard.FOR_TESTING),
                List.of("admin@" + domain),
                new Http("127.0.0.1", 0),
                new Muc(true, "conference", List.of("lobby"), true, 20, 200, 200),
                new Mam(true, Mam.Mode.ALWAYS, Duration.ZERO),
                new Sm(Duration.ofMinutes(5)),
                Upload.DEFAULTS,
                ContactAddresses.NONE,
                ExternalServices.NONE,
                new Mobile(1000, 100, Push.DEFAULTS, new Proxy(0, "127.0.0.1", "127.0.0.1", 1L << 30,
                        Duration.ofMinutes(30), 100)),
                Components.OFF);
    }

    /**
     * @param enabled     whether the upload service runs at {@code <subdomain>.<domain>}
     * @param subdomain   the service's address below the domain
     * @param maxFileSize largest file a slot is given for (advertised as {@code max-file-size})
     * @param quota       bytes one user may keep stored; 0 for no limit
     * @param slotExpiry  how long after the slot request its PUT may start
     * @param retention   files older than this are deleted; {@link Duration#ZERO} keeps them
     * @param publicUrl   the URL under which the web gateway's {@code /upload} path is reached by clients;
     *                    null for the gateway's own address ({@code http://<domain>:<http.port>/upload})
     */
    public record Upload(boolean enabled, String subdomain, long maxFileSize, long quota, Duration slotExpiry,
                         Duration retention, java.net.URI publicUrl) {
        public static final Upload DEFAULTS = new Upload(true, "upload", 100L * 1024 * 1024, 1024L * 1024 * 1024,
                Duration.ofMinutes(5), Duration.ZERO, null);
    }

    /**
     * XEP-0157 contact addresses (URIs such as {@code mailto:} or {@code xmpp:}) by kind: {@code abuse},
     * {@code admin}, {@code feedback}, {@code sales}, {@code security}, {@code status}, {@code support}.
     */
    public record ContactAddresses(java.util.Map<String, List<String>> byKind) {
        public static final List<String> KINDS = List.of("abuse", "admin", "feedback", "sales", "security", "status",
                "support");
        public static final ContactAddresses NONE = new ContactAddresses(java.util.Map.of());

        public ContactAddresses {
            byKind = java.util.Map.copyOf(byKind);
        }
    }

    /**
     * XEP-0215 external services.
     *
     * @param servers            STUN/TURN servers, in the order configured
     * @param secret             the TURN server's shared secret (coturn's {@code static-auth-secret}); null for
     *                           none, and then TURN entries carry no credentials
     * @param credentialLifetime how long a TURN credential handed out stays valid
     */
    public record ExternalServices(List<Service> servers, String secret, Duration credentialLifetime) {
        public static final ExternalServices NONE = new ExternalServices(List.of(), null, Duration.ofDays(1));

        public ExternalServices {
            servers = List.copyOf(servers);
        }

        /** One server from an RFC 7064/7065 URI: type stun, stuns, turn or turns; transport udp, tcp or null. */
        public record Service(String type, String host, int port, String transport) {
        }
    }

    /** These settings with another upload service configuration (tests and embedding). */
    public ServerSettings withUpload(Upload u) {
        return new ServerSettings(domain, dataDirectory, c2s, tls, storage, registration, limits, admins, http, muc,
                mam, sm, u, contacts, externalServices, mobile, components);
    }

    /** These settings with other contact addresses and external services (tests and embedding). */
    public ServerSettings withDiscovery(ContactAddresses c, ExternalServices e) {
        return new ServerSettings(domain, dataDirectory, c2s, tls, storage, registration, limits, admins, http, muc,
                mam, sm, upload, c, e, mobile, components);
    }

    /**
     * What clients on phones and behind NAT rely on (XEP-0479 Mobile and Advanced).
     *
     * @param blockListMax    the most JIDs one account may block (XEP-0191)
     * @param csiBuffer       stanzas held for an inactive client before it is sent everything (XEP-0352)
     * @param push            push notifications (XEP-0357)
     * @param proxy           the SOCKS5 bytestreams proxy (XEP-0065)
     */
    public record Mobile(int blockListMax, int csiBuffer, Push push, Proxy proxy) {
        public static final Mobile DEFAULTS = new Mobile(1000, 100, Push.DEFAULTS, Proxy.DEFAULTS);
    }

    /**
     * @param includeBody      whether a notification's summary carries the message's sender and body
     *                         (XEP-0357 §7; off by default: the app server and the phone vendor's push
     *                         service would read it)
     * @param maxFailures      errors from an app server in a row after which its registration is removed
     * @param maxRegistrations registrations one account may hold
     */
    public record Push(boolean includeBody, int maxFailures, int maxRegistrations) {
        public static final Push DEFAULTS = new Push(false, 3, 20);
    }

    /**
     * @param port        the relay's TCP port (7777 by default; 0 picks a free port; -1 turns the proxy off)
     * @param host        the address clients are told to connect to; null uses the c2s bind address
     * @param bindAddress the address the relay listens on
     * @param maxBytes    the most bytes one transfer may carry
     * @param maxDuration the longest a transfer (from the first connection) may take
     * @param maxTransfers transfers (pairs of connections) at once
     */
    public record Proxy(int port, String host, String bindAddress, long maxBytes, Duration maxDuration,
                        int maxTransfers) {
        public static final Proxy DEFAULTS = new Proxy(7777, null, "0.0.0.0", 1L << 30, Duration.ofMinutes(30), 100);
    }

    /** These settings with other mobile settings (tests and embedding). */
    public ServerSettings withMobile(Mobile m) {
        return new ServerSettings(domain, dataDirectory, c2s, tls, storage, registration, limits, admins, http, muc, mam,
                sm, upload, contacts, externalServices, m, components);
    }

    /**
     * External components (XEP-0114): trusted local services (gateways, bots) that connect over TCP and serve
     * a subdomain of the server.
     *
     * @param port        the listener's TCP port (-1, the default, turns it off; 0 picks a free port)
     * @param bindAddress the address it listens on (loopback by default: the link has no TLS)
     * @param secrets     each component's subdomain label (e.g. {@code gateway} for {@code gateway.<domain>})
     *                    with its handshake secret
     */
    public record Components(int port, String bindAddress, java.util.Map<String, String> secrets) {
        public static final Components OFF = new Components(-1, "127.0.0.1", java.util.Map.of());

        public Components {
            secrets = java.util.Map.copyOf(secrets);
        }
    }

    /** These settings with other external components (tests and embedding). */
    public ServerSettings withComponents(Components c) {
        return new ServerSettings(domain, dataDirectory, c2s, tls, storage, registration, limits, admins, http, muc, mam,
                sm, upload, contacts, externalServices, mobile, c);
    }
}
