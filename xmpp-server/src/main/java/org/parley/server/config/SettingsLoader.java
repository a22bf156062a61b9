package org.parley.server.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;

/**
 * Turns the layered configuration into validated {@link ServerSettings}. Layers, lowest precedence first:
 * the built-in defaults ({@code reference.conf}, under {@code parley}), an optional HOCON file, environment
 * variables {@code PARLEY_<KEY>} (see {@link #environmentVariable(String)}) and command-line overrides.
 * Everything is validated here, once, so the server never sees an out-of-range value and the operator
 * gets a one-line {@link SettingsException} naming the key instead of a failure deep inside start-up.
 *
 * <p>Relative paths are resolved against the {@linkplain #baseDirectory(Path) base directory}, by default
 * the working directory, whichever layer they come from. Not thread-safe; use one loader per load.
 */
public final class SettingsLoader {

    /** Prefix of the environment variables read. */
    public static final String ENV_PREFIX = "PARLEY_";

    private static final String NAMESPACE = "parley";
    private static final Set<String> LEVELS = Set.of("trace", "debug", "info", "warn", "error", "off");
    private static final Set<String> FORMATS = Set.of("text", "json");
    private static final int MIB = 1024 * 1024;
    private static final Set<String> CONTACT_SCHEMES = Set.of("mailto", "xmpp", "http", "https", "tel", "sip");

    private Path configFile;
    private Map<String, String> environment = Map.of();
    private Map<String, String> overrides = Map.of();
    private Path baseDirectory = Path.of("").toAbsolutePath();

    /** Both the server's and the logging settings, from one load; the cluster block (issue 19) beside them. */
    public record Loaded(ServerSettings server, LoggingSettings logging, ClusterSettings cluster) {
        public Loaded(ServerSettings server, LoggingSettings logging) {
            this(server, logging, ClusterSettings.OFF);
        }
    }

    /** The HOCON file to read; null (the default) for none. A given file that does not exist is an error. */
    public SettingsLoader configFile(Path file) {
        this.configFile = file;
        return this;
    }

    /** The environment to read {@code PARLEY_*} variables from, usually {@link System#getenv()}. */
    public SettingsLoader environment(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
        return this;
    }

    /** Highest-precedence values by key, e.g. {@code c2s.port -> 5222}; values are parsed like env values. */
    public SettingsLoader overrides(Map<String, String> overrides) {
        this.overrides = new LinkedHashMap<>(overrides);
        return this;
    }

    /** Directory relative paths (config file, data directory, certificates) are resolved against. */
    public SettingsLoader baseDirectory(Path directory) {
        this.baseDirectory = directory.toAbsolutePath().normalize();
        return this;
    }

    /** Loads and validates the server settings. */
    public ServerSettings load() {
        return loadAll().server();
    }

    /** Loads and validates the server and logging settings. */
    public Loaded loadAll() {
        Config defaults = defaults();
        Schema schema = Schema.of(defaults);
        Config merged = commandLineLayer(schema)
                .withFallback(environmentLayer(schema))
                .withFallback(fileLayer(schema))
                .withFallback(defaults);
        try {
            merged = merged.resolve();
        } catch (ConfigException e) {
            throw new SettingsException(e.getMessage());
        }
        TypedConfig config = new TypedConfig(merged, baseDirectory);
        ServerSettings server = serverSettings(config);
        return new Loaded(server, new LoggingSettings(
                config.oneOf("logging.level", LEVELS, "trace, debug, info, warn, error or off"),
                config.oneOf("logging.format", FORMATS, "text or json")), cluster(config, server));
    }

    private static final java.util.regex.Pattern MEMBER = java.util.regex.Pattern.compile(
            "[A-Za-z0-9.\\-]+(:\\d{1,5})?|\\[[0-9A-Fa-f:.]+\\](:\\d{1,5})?");

    /** The cluster block (issue 19); cluster mode needs the shared PostgreSQL database. */
    private static ClusterSettings cluster(TypedConfig c, ServerSettings server) {
        boolean enabled = c.bool("cluster.enabled");
        String name = c.optionalString("cluster.name");
        if (name == null || !name.matches("[A-Za-z0-9._\\-]{1,64}")) {
            throw c.invalid("cluster.name", "1-64 letters, digits, '.', '_' or '-'");
        }
        var cluster = new ClusterSettings(enabled, name, c.bindAddress("cluster.bind-address"),
                c.intInRange("cluster.port", 1, 65535), c.matching("cluster.members", MEMBER, "host or host:port"),
                c.oneOf("cluster.discovery", Set.of("tcp-ip", "multicast", "kubernetes"),
                        "tcp-ip, multicast or kubernetes"),
                c.optionalString("cluster.kubernetes-service"),
                c.duration("cluster.failure-timeout", Duration.ofSeconds(2), Duration.ofMinutes(5)),
                c.intInRange("cluster.min-members", 0, 1000), c.optionalString("cluster.public-address"));
        if (cluster.publicAddress() != null
                && !cluster.publicAddress().matches("([A-Za-z0-9.\\-]+|\\[[0-9A-Fa-f:.]+\\]):\\d{1,5}")) {
            throw c.invalid("cluster.public-address", "host:port");
        }
        if (enabled) {
            ClusterSettings.requireSharedDatabase(server.storage().jdbcUrl());
        }
        return cluster;
    }

    /** Every setting key, sorted, e.g. {@code c2s.port}. */
    public static List<String> keys() {
        return List.copyOf(Schema.of(defaults()).leaves);
    }

    /** The environment variable for a key: {@code c2s.direct-tls-port -> PARLEY_C2S_DIRECT_TLS_PORT}. */
    public static String environmentVariable(String key) {
        return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    private static ServerSettings serverSettings(TypedConfig c) {
        String domain = c.domain("domain");
        var c2s = new ServerSettings.C2s(c.bindAddress("c2s.bind-address"), c.port("c2s.port", false),
                c.bool("c2s.starttls-required"), c.port("c2s.direct-tls-port", true));
        var storage = new ServerSettings.StorageSettings(jdbcUrl(c), c.optionalString("storage.user"),
                c.optionalString("storage.password"), c.intInRange("storage.pool-size", 1, 100));
        var registration = new ServerSettings.Registration(c.bool("registration.enabled"),
                c.intInRange("registration.per-address-per-hour", 1, 100_000));
        var http = new ServerSettings.Http(c.bindAddress("http.bind-address"), c.port("http.port", true),
                c.port("http.tls-port", true), c.origins("http.allowed-origins"), bosh(c), metrics(c),
                c.optionalHttpUrl("http.public-url"));
        return new ServerSettings(domain, c.path("data-directory"), c2s, tls(c), storage, registration,
                limits(c), c.bareJids("admins"), http, muc(c), mam(c),
                new ServerSettings.Sm(c.duration("stream-management.resumption-timeout", Duration.ofSeconds(1),
                        Duration.ofDays(1))),
                upload(c), contacts(c), externalServices(c), mobile(c), components(c, domain));
    }

    private static ServerSettings.Upload upload(TypedConfig c) {
        long maxFileSize = c.largeBytes("upload.max-file-size", 1, 64L * 1024 * MIB);
        long quota = c.largeBytes("upload.quota", 0, 1024L * 1024 * MIB);
        if (quota != 0 && quota < maxFileSize) {
            throw c.invalid("upload.quota", "0 (no quota) or at least upload.max-file-size, "
                    + Formats.bytes(maxFileSize));
        }
        Duration retention = c.optionalString("upload.retention") == null
                || c.optionalString("upload.retention").equals("0") ? Duration.ZERO
                : c.duration("upload.retention", Duration.ofHours(1), Duration.ofDays(36_500));
        return new ServerSettings.Upload(c.bool("upload.enabled"), c.subdomain("upload.subdomain"), maxFileSize, quota,
                c.duration("upload.slot-expiry", Duration.ofSeconds(10), Duration.ofDays(1)), retention,
                c.optionalHttpUrl("upload.public-url"));
    }

    private static ServerSettings.ContactAddresses contacts(TypedConfig c) {
        Map<String, List<String>> byKind = new LinkedHashMap<>();
        for (String kind : ServerSettings.ContactAddresses.KINDS) {
            List<String> uris = c.uris("contact-addresses." + kind, CONTACT_SCHEMES);
            if (!uris.isEmpty()) {
                byKind.put(kind, uris);
            }
        }
        return new ServerSettings.ContactAddresses(byKind);
    }

    /** RFC 7064 (STUN) and RFC 7065 (TURN) URIs: {@code turn:host[:port][?transport=udp|tcp]}. */
    private static final java.util.regex.Pattern SERVICE_URI = java.util.regex.Pattern.compile(
            "(stuns?|turns?):([A-Za-z0-9.\\-]+|\\[[0-9A-Fa-f:.]+\\])(?::(\\d{1,5}))?(?:\\?transport=(udp|tcp))?");

    private static ServerSettings.ExternalServices externalServices(TypedConfig c) {
        List<ServerSettings.ExternalServices.Service> services = new ArrayList<>();
        for (String uri : c.matching("external-services.servers", SERVICE_URI,
                "STUN/TURN URIs such as stun:stun.example.org or turn:turn.example.org:3478?transport=udp")) {
            java.util.regex.Matcher m = SERVICE_URI.matcher(uri);
            m.matches();
            String type = m.group(1);
            int port = m.group(3) != null ? Integer.parseInt(m.group(3)) : type.endsWith("s") ? 5349 : 3478;
            if (port < 1 || port > 65535) {
                throw c.invalid("external-services.servers", "ports 1-65535 in " + uri);
            }
            String host = m.group(2).startsWith("[") ? m.group(2).substring(1, m.group(2).length() - 1) : m.group(2);
            // Without ?transport the URI schemes' defaults apply (RFC 7064 §3.2, RFC 7065 §3): UDP for stun and
            // turn, TCP (with TLS) for stuns and turns. Clients such as Conversations only use a service whose
            // XEP-0215 entry names its transport.
            String transport = m.group(4) != null ? m.group(4) : type.endsWith("s") ? "tcp" : "udp";
            services.add(new ServerSettings.ExternalServices.Service(type, host.toLowerCase(Locale.ROOT), port,
                    transport));
        }
        return new ServerSettings.ExternalServices(services, c.optionalString("external-services.secret"),
                c.duration("external-services.credential-lifetime", Duration.ofMinutes(1), Duration.ofDays(30)));
    }

    private static ServerSettings.Mobile mobile(TypedConfig c) {
        var push = new ServerSettings.Push(c.bool("push.include-body"), c.intInRange("push.max-failures", 1, 100),
                c.intInRange("push.max-registrations", 1, 1000));
        String host = c.optionalString("proxy.host");
        var proxy = new ServerSettings.Proxy(c.port("proxy.port", true), host == null ? null : c.bindAddress("proxy.host"),
                c.bindAddress("proxy.bind-address"), c.bytes("proxy.max-bytes", 1024, Integer.MAX_VALUE),
                c.duration("proxy.max-duration", Duration.ofSeconds(10), Duration.ofDays(1)),
                c.intInRange("proxy.max-transfers", 1, 100_000));
        return new ServerSettings.Mobile(c.intInRange("blocking.max-items", 1, 100_000),
                c.intInRange("csi.buffer-size", 1, 10_000), push, proxy);
    }

    /** XEP-0114: names are one label under the domain, given as {@code gateway} or {@code gateway.<domain>}. */
    private static ServerSettings.Components components(TypedConfig c, String domain) {
        Map<String, String> secrets = new LinkedHashMap<>();
        c.texts("components.secrets", 1000, 1024).forEach((name, secret) -> {
            String n = name.toLowerCase(Locale.ROOT);
            if (n.endsWith("." + domain)) {
                n = n.substring(0, n.length() - domain.length() - 1);
            }
            if (!n.matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")) {
                throw c.invalid("components.secrets", "names such as gateway or gateway." + domain
                        + " (one label under the domain), not " + name);
            }
            secrets.put(n, secret);
        });
        return new ServerSettings.Components(c.port("components.port", true), c.bindAddress("components.bind-address"),
                secrets);
    }

    private static ServerSettings.Mam mam(TypedConfig c) {
        String mode = c.oneOf("mam.default", Set.of("always", "roster", "never"), "always, roster or never");
        Duration retention = c.optionalString("mam.retention") == null ? Duration.ZERO
                : c.duration("mam.retention", Duration.ofHours(1), Duration.ofDays(36_500));
        return new ServerSettings.Mam(c.bool("mam.enabled"),
                ServerSettings.Mam.Mode.valueOf(mode.toUpperCase(Locale.ROOT)), retention);
    }

    private static ServerSettings.Muc muc(TypedConfig c) {
        int maxHistory = c.intInRange("muc.max-history-length", 0, 10_000);
        int history = c.intInRange("muc.history-length", 0, 10_000);
        if (history > maxHistory) {
            throw c.invalid("muc.history-length", "at most muc.max-history-length, " + maxHistory);
        }
        return new ServerSettings.Muc(c.bool("muc.enabled"), c.subdomain("muc.subdomain"), c.localparts("muc.rooms"),
                c.oneOf("muc.room-creation", Set.of("anyone", "admins"), "anyone or admins").equals("anyone"),
                history, maxHistory, c.intInRange("muc.max-users", 0, 1_000_000), c.bool("muc.archive-by-default"));
    }

    private static ServerSettings.Metrics metrics(TypedConfig c) {
        String token = c.optionalString("http.metrics.token");
        if (token != null && token.length() < 16) {
            throw c.invalid("http.metrics.token", "at least 16 characters (a guessable token protects nothing)");
        }
        return new ServerSettings.Metrics(c.bool("http.metrics.enabled"), token);
    }

    private static ServerSettings.Bosh bosh(TypedConfig c) {
        return new ServerSettings.Bosh(
                c.duration("http.bosh.max-wait", Duration.ofSeconds(1), Duration.ofMinutes(5)),
                c.duration("http.bosh.inactivity", Duration.ofSeconds(1), Duration.ofHours(1)),
                c.duration("http.bosh.max-pause", Duration.ofSeconds(1), Duration.ofHours(1)),
                c.bool("http.bosh.enabled"));
    }

    private static ServerSettings.Tls tls(TypedConfig c) {
        Path certificate = c.optionalPath("tls.certificate");
        Path key = c.optionalPath("tls.key");
        if (key != null && certificate == null) {
            throw c.invalid("tls.key", "null unless tls.certificate is set");
        }
        c.requireReadableFile("tls.certificate", certificate);
        c.requireReadableFile("tls.key", key);
        return new ServerSettings.Tls(certificate, key, c.optionalString("tls.password"));
    }

    private static String jdbcUrl(TypedConfig c) {
        String url = c.optionalString("storage.jdbc-url");
        // The drivers Parley ships and the databases its migrations are tested on.
        if (url != null && !url.startsWith("jdbc:postgresql:") && !url.startsWith("jdbc:h2:")) {
            throw c.invalid("storage.jdbc-url", "a PostgreSQL JDBC URL jdbc:postgresql://host[:port]/database, an H2"
                    + " URL jdbc:h2:..., or null for the embedded database");
        }
        return url;
    }

    private static ServerSettings.Limits limits(TypedConfig c) {
        int stanza = c.bytes("limits.stanza-size", 10_000, 16 * MIB);
        int preAuth = c.bytes("limits.pre-auth-stanza-size", 4096, 16 * MIB);
        if (preAuth > stanza) {
            throw c.invalid("limits.pre-auth-stanza-size", "at most limits.stanza-size, " + Formats.bytes(stanza));
        }
        return new ServerSettings.Limits(stanza, preAuth,
                c.duration("limits.idle-timeout", Duration.ofSeconds(30), Duration.ofDays(1)),
                c.duration("limits.keepalive-interval", Duration.ofSeconds(5), Duration.ofHours(1)),
                c.intInRange("limits.offline-per-user", 1, 1_000_000),
                c.intInRange("limits.scram-iterations", 4096, 1_000_000),
                c.bytes("limits.avatar-size", 1024, ServerSettings.Limits.maxAvatarBytes(stanza)),
                guard(c, stanza));
    }

    /** The abuse limits of issue 17, in the same {@code limits} section. */
    private static ServerSettings.Guard guard(TypedConfig c, int stanza) {
        int preAuthRate = c.bytes("limits.pre-auth-read-rate", 1024, 16 * MIB);
        int readRate = c.bytes("limits.read-rate", 4096, 1024 * MIB);
        int sendBuffer = c.bytes("limits.send-buffer", 64 * 1024, 1024 * MIB);
        if (sendBuffer < stanza) {
            throw c.invalid("limits.send-buffer", "at least limits.stanza-size, " + Formats.bytes(stanza));
        }
        int resumptionBuffer = c.bytes("limits.resumption-buffer", 64 * 1024, 1024 * MIB);
        if (resumptionBuffer < stanza) {
            throw c.invalid("limits.resumption-buffer", "at least limits.stanza-size, " + Formats.bytes(stanza));
        }
        return new ServerSettings.Guard(
                c.duration("limits.header-timeout", Duration.ofSeconds(1), Duration.ofMinutes(10)),
                c.duration("limits.auth-timeout", Duration.ofSeconds(1), Duration.ofHours(1)),
                c.intInRange("limits.unauthenticated-per-address", 1, 1_000_000),
                c.intInRange("limits.connections-per-address-per-minute", 1, 10_000_000),
                preAuthRate, readRate,
                c.intInRange("limits.stanza-rate", 1, 1_000_000),
                c.intInRange("limits.stanza-burst", 1, 10_000_000),
                sendBuffer,
                c.duration("limits.write-timeout", Duration.ofSeconds(1), Duration.ofHours(1)),
                resumptionBuffer,
                c.intInRange("limits.sessions-per-account", 1, 100_000),
                c.intInRange("limits.auth-failures-per-address", 1, 1_000_000),
                c.duration("limits.auth-ban", Duration.ofSeconds(1), Duration.ofDays(30)),
                c.intInRange("limits.rooms-per-hour", 1, 1_000_000),
                c.intInRange("limits.archive-queries-per-minute", 1, 1_000_000),
                new ServerSettings.Quotas(
                        c.intInRange("limits.roster-size", 1, 1_000_000),
                        c.intInRange("limits.private-xml-items", 1, 1_000_000),
                        c.bytes("limits.pubsub-item-size", 1024, stanza),
                        c.intInRange("limits.rooms-per-account", 1, 1_000_000),
                        c.intInRange("limits.archive-messages-per-account", 1, 100_000_000),
                        c.intInRange("limits.pubsub-items-per-account", 1, 1_000_000),
                        c.intInRange("limits.pubsub-nodes-per-account", 1, 100_000)));
    }

    private static Config defaults() {
        Config reference = ConfigFactory.parseResources(SettingsLoader.class.getClassLoader(), "reference.conf");
        if (!reference.hasPath(NAMESPACE)) {
            throw new IllegalStateException("reference.conf with the Parley defaults is missing from the classpath");
        }
        return reference.getConfig(NAMESPACE);
    }

    private Config fileLayer(Schema schema) {
        if (configFile == null) {
            return ConfigFactory.empty();
        }
        Path file = baseDirectory.resolve(configFile).normalize();
        if (!Files.exists(file)) {
            throw new SettingsException("config file " + file + " does not exist");
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new SettingsException("config file " + file + " is not a readable file");
        }
        Config config;
        try {
            config = ConfigFactory.parseFile(file.toFile(),
                    ConfigParseOptions.defaults().setAllowMissing(false).setSyntax(ConfigSyntax.CONF));
        } catch (ConfigException e) {
            throw new SettingsException(e.getMessage());
        }
        schema.checkKnown(config.root(), List.of());
        return config;
    }

    private Config environmentLayer(Schema schema) {
        Config layer = ConfigFactory.empty();
        for (String key : schema.leaves) {
            String variable = environmentVariable(key);
            String value = environment.get(variable);
            if (value != null) {
                layer = layer.withValue(key, stringValue(value, "environment variable " + variable));
            }
        }
        return layer;
    }

    private Config commandLineLayer(Schema schema) {
        Config layer = ConfigFactory.empty();
        for (Map.Entry<String, String> override : overrides.entrySet()) {
            String key = override.getKey().strip();
            if (!schema.leaves.contains(key)) {
                throw new SettingsException(key + ": unknown setting" + schema.suggestion(key)
                        + ", set on the command line");
            }
            layer = layer.withValue(key, stringValue(override.getValue(), "set on the command line"));
        }
        return layer;
    }

    /** Env and command-line values are raw text; empty text means null ("not set"). */
    private static ConfigValue stringValue(String value, String origin) {
        return ConfigValueFactory.fromAnyRef(value == null || value.isEmpty() ? null : value, origin);
    }

    /** The keys the defaults define: anything else in a file is a typo. */
    private static final class Schema {
        final TreeSet<String> leaves = new TreeSet<>();
        final TreeSet<String> sections = new TreeSet<>();
        /** Sections empty in the defaults whose keys are names, not settings (components.secrets). */
        final TreeSet<String> open = new TreeSet<>();

        static Schema of(Config defaults) {
            Schema schema = new Schema();
            schema.collect(defaults.root(), List.of());
            return schema;
        }

        private void collect(ConfigObject object, List<String> prefix) {
            for (Map.Entry<String, ConfigValue> entry : object.entrySet()) {
                List<String> path = append(prefix, entry.getKey());
                if (entry.getValue() instanceof ConfigObject child) {
                    sections.add(ConfigUtil.joinPath(path));
                    if (child.isEmpty()) {
                        open.add(ConfigUtil.joinPath(path));
                    }
                    collect(child, path);
                } else {
                    leaves.add(ConfigUtil.joinPath(path));
                }
            }
        }

        void checkKnown(ConfigObject object, List<String> prefix) {
            for (Map.Entry<String, ConfigValue> entry : object.entrySet()) {
                List<String> path = append(prefix, entry.getKey());
                String key = ConfigUtil.joinPath(path);
                ConfigValue value = entry.getValue();
                if (sections.contains(key)) {
                    if (value instanceof ConfigObject child) {
                        if (!open.contains(key)) {
                            checkKnown(child, path);
                        }
                    } else {
                        throw new SettingsException(key + ": " + TypedConfig.render(value)
                                + " is not allowed (expected a section { ... })" + TypedConfig.where(value.origin()));
                    }
                } else if (!leaves.contains(key)) {
                    throw new SettingsException(key + ": unknown setting" + suggestion(key)
                            + TypedConfig.where(value.origin()));
                }
            }
        }

        /** " (did you mean c2s.port?)" for a near miss, otherwise empty. */
        String suggestion(String key) {
            String best = null;
            int bestDistance = Integer.MAX_VALUE;
            for (String known : leaves) {
                int distance = distance(key, known);
                if (distance < bestDistance) {
                    best = known;
                    bestDistance = distance;
                }
            }
            return best != null && bestDistance <= Math.max(2, key.length() / 4) ? " (did you mean " + best + "?)" : "";
        }

        private static List<String> append(List<String> prefix, String key) {
            List<String> path = new ArrayList<>(prefix);
            path.add(key);
            return path;
        }

        private static int distance(String a, String b) {
            int[] previous = new int[b.length() + 1];
            int[] current = new int[b.length() + 1];
            for (int j = 0; j <= b.length(); j++) {
                previous[j] = j;
            }
            for (int i = 1; i <= a.length(); i++) {
                current[0] = i;
                for (int j = 1; j <= b.length(); j++) {
                    int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                    current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
                }
                int[] swap = previous;
                previous = current;
                current = swap;
            }
            return previous[b.length()];
        }
    }
}
