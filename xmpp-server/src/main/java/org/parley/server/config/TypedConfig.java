package org.parley.server.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;

/**
 * Typed, bounded reads from a merged {@link Config}. Typesafe Config's own getters report type errors in
 * its internal vocabulary ("has type STRING rather than NUMBER"); every getter here instead fails with a
 * {@link SettingsException} of the form {@code key: value is not allowed (expected ...)}, followed by where
 * the value was set, so an operator can fix the right line.
 */
final class TypedConfig {

    private static final Pattern BARE_TOKEN = Pattern.compile("[A-Za-z0-9._:@/+\\-\\[\\]]+");
    private static final Pattern ORIGIN = Pattern.compile("https?://([a-z0-9.\\-]+|\\[[0-9a-f:.]+\\])(:\\d{1,5})?");

    private final Config config;
    private final Path baseDirectory;

    /**
     * @param config        resolved configuration with every key present (defaults merged in)
     * @param baseDirectory directory relative paths are resolved against
     */
    TypedConfig(Config config, Path baseDirectory) {
        this.config = config;
        this.baseDirectory = baseDirectory;
    }

    /** A non-blank string without surrounding white space. */
    String string(String key) {
        String value = optionalString(key);
        if (value == null) {
            throw invalid(key, "a non-empty text");
        }
        return value;
    }

    /** A string, or null when the value is null or empty. */
    String optionalString(String key) {
        ConfigValue value = value(key);
        if (value == null) {
            return null;
        }
        if (value.valueType() == ConfigValueType.LIST || value.valueType() == ConfigValueType.OBJECT) {
            throw invalid(key, "a text");
        }
        String text = String.valueOf(value.unwrapped()).strip();
        return text.isEmpty() ? null : text;
    }

    /** One of {@code allowed}, compared case-insensitively; returned lower case. */
    String oneOf(String key, Set<String> allowed, String description) {
        String text = string(key).toLowerCase(Locale.ROOT);
        if (!allowed.contains(text)) {
            throw invalid(key, description);
        }
        return text;
    }

    /** {@code true}/{@code false} (Typesafe Config also accepts yes/no and on/off). */
    boolean bool(String key) {
        try {
            return single(key).getBoolean("v");
        } catch (ConfigException e) {
            throw invalid(key, "true or false");
        }
    }

    /** A whole number within {@code [min, max]}. */
    int intInRange(String key, int min, int max) {
        return intInRange(key, min, max, "a whole number " + min + "-" + max);
    }

    /** A TCP port 0-65535 (0 = pick a free port), and -1 too when {@code disableAllowed}. */
    int port(String key, boolean disableAllowed) {
        String expected = disableAllowed ? "a port 0-65535, or -1 to disable" : "a port 0-65535";
        return intInRange(key, disableAllowed ? -1 : 0, 65535, expected);
    }

    /** A duration such as {@code 90s} or {@code 5m} (a bare number is milliseconds) within the bounds. */
    Duration duration(String key, Duration min, Duration max) {
        String expected = "a duration from " + Formats.duration(min) + " to " + Formats.duration(max)
                + ", e.g. 90s or 5m";
        Duration duration;
        try {
            duration = single(key).getDuration("v");
        } catch (ConfigException e) {
            throw invalid(key, expected);
        }
        if (duration.compareTo(min) < 0 || duration.compareTo(max) > 0) {
            throw invalid(key, expected);
        }
        return duration;
    }

    /** A size such as {@code 256KiB} or {@code 10000B} within {@code [min, max]} bytes. */
    int bytes(String key, int min, int max) {
        return (int) largeBytes(key, min, max);
    }

    /** {@link #bytes} for sizes beyond 2 GiB, e.g. an upload quota of {@code 10GiB}. */
    long largeBytes(String key, long min, long max) {
        String expected = "a size from " + Formats.bytes(min) + " to " + Formats.bytes(max) + ", e.g. 256KiB";
        long bytes;
        try {
            bytes = single(key).getBytes("v");
        } catch (ConfigException e) {
            throw invalid(key, expected);
        }
        if (bytes < min || bytes > max) {
            throw invalid(key, expected);
        }
        return bytes;
    }

    /**
     * An absolute http(s) URL without query or fragment and without a trailing slash (one is removed), or
     * null when the value is null or empty, e.g. {@code https://files.example.org/upload}.
     */
    java.net.URI optionalHttpUrl(String key) {
        String text = optionalString(key);
        if (text == null) {
            return null;
        }
        String expected = "an http:// or https:// URL such as https://files.example.org/upload";
        java.net.URI uri;
        try {
            uri = new java.net.URI(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
        } catch (java.net.URISyntaxException e) {
            throw invalid(key, expected);
        }
        if (uri.getScheme() == null || !uri.getScheme().matches("(?i)https?") || uri.getHost() == null
                || uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
            throw invalid(key, expected);
        }
        return uri;
    }

    /**
     * A list of absolute URIs with one of {@code schemes} (e.g. {@code mailto:abuse@example.org},
     * {@code xmpp:admin@example.org}, {@code https://example.org/support}); read like {@link #bareJids}.
     */
    List<String> uris(String key, Set<String> schemes) {
        String expected = "URIs such as mailto:abuse@example.org or xmpp:admin@example.org (schemes "
                + String.join(", ", new java.util.TreeSet<>(schemes)) + ")";
        List<String> uris = new ArrayList<>();
        for (String item : items(key, expected, "a list of URIs such as [\"mailto:abuse@example.org\"]")) {
            java.net.URI uri;
            try {
                uri = new java.net.URI(item);
            } catch (java.net.URISyntaxException e) {
                throw notAllowed(key, item, expected);
            }
            if (uri.getScheme() == null || !schemes.contains(uri.getScheme().toLowerCase(Locale.ROOT))
                    || uri.getRawSchemeSpecificPart().isEmpty()) {
                throw notAllowed(key, item, expected);
            }
            if (!uris.contains(item)) {
                uris.add(item);
            }
        }
        return List.copyOf(uris);
    }

    /** A list of strings, each matched against {@code pattern}; read like {@link #bareJids}. */
    List<String> matching(String key, Pattern pattern, String expected) {
        List<String> result = new ArrayList<>();
        for (String item : items(key, expected, "a list such as [\"...\"]")) {
            if (!pattern.matcher(item).matches()) {
                throw notAllowed(key, item, expected);
            }
            result.add(item);
        }
        return List.copyOf(result);
    }

    /** A path resolved against the base directory and normalised. */
    Path path(String key) {
        Path path = optionalPath(key);
        if (path == null) {
            throw invalid(key, "a file or directory path");
        }
        return path;
    }

    /** Like {@link #path(String)}, or null when the value is null or empty. */
    Path optionalPath(String key) {
        String text = optionalString(key);
        if (text == null) {
            return null;
        }
        try {
            return baseDirectory.resolve(Path.of(text)).toAbsolutePath().normalize();
        } catch (RuntimeException e) {
            throw invalid(key, "a file or directory path");
        }
    }

    /** An IP address or host name to bind to, e.g. {@code 0.0.0.0}, {@code ::} or {@code 127.0.0.1}. */
    String bindAddress(String key) {
        String address = string(key);
        if (!address.matches("[A-Za-z0-9.:%\\-\\[\\]]+")) {
            throw invalid(key, "an IP address or host name such as 0.0.0.0 or 127.0.0.1");
        }
        return address;
    }

    /** Fails unless {@code file} (the resolved value of {@code key}) is null or a readable regular file. */
    void requireReadableFile(String key, Path file) {
        if (file != null && !(Files.isRegularFile(file) && Files.isReadable(file))) {
            throw new SettingsException(key + ": " + file + " is not a readable file"
                    + where(config.getValue(key).origin()));
        }
    }

    /** A JID domainpart (RFC 7622), lower case, without a trailing dot. */
    String domain(String key) {
        String normalized = Jids.normalizeDomain(string(key));
        if (normalized == null) {
            throw invalid(key, "a domain name such as chat.example.org, or localhost");
        }
        return normalized;
    }

    /**
     * A list of bare JIDs ({@code local@domain}), lower case. A single string is read as a comma-separated
     * list, which is what environment variables and {@code -D} overrides provide.
     */
    List<String> bareJids(String key) {
        String expected = "bare JIDs such as admin@example.org";
        List<String> jids = new ArrayList<>();
        for (String item : items(key, expected, "a list of bare JIDs such as [\"admin@example.org\"]")) {
            String jid = Jids.normalizeBareJid(item);
            if (jid == null) {
                throw notAllowed(key, item, expected);
            }
            if (!jids.contains(jid)) {
                jids.add(jid);
            }
        }
        return List.copyOf(jids);
    }

    /** A list of JID localparts such as room names, lower case; read like {@link #bareJids}. */
    List<String> localparts(String key) {
        String expected = "names such as lobby (no spaces, @, /, :, quotes or <>)";
        List<String> names = new ArrayList<>();
        for (String item : items(key, expected, "a list of names such as [\"lobby\"]")) {
            String name = Jids.normalizeLocalpart(item);
            if (name == null) {
                throw notAllowed(key, item, expected);
            }
            if (!names.contains(name)) {
                names.add(name);
            }
        }
        return List.copyOf(names);
    }

    /** A single DNS label for a service below the domain, e.g. {@code conference}. */
    String subdomain(String key) {
        String value = string(key).strip().toLowerCase(Locale.ROOT);
        if (!value.matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")) {
            throw invalid(key, "one DNS label such as conference (letters, digits and inner hyphens)");
        }
        return value;
    }

    /**
     * A list of web origins allowed to use the HTTP endpoints: {@code self}, {@code loopback}, {@code *} or an
     * origin {@code scheme://host[:port]} with scheme http or https and nothing after the authority; lower case.
     */
    List<String> origins(String key) {
        String expected = "origins such as https://chat.example.org, or self, loopback or *";
        List<String> origins = new ArrayList<>();
        for (String item : items(key, expected, "a list such as [\"self\", \"https://chat.example.org\"]")) {
            String origin = item.toLowerCase(Locale.ROOT);
            if (!origin.equals("self") && !origin.equals("loopback") && !origin.equals("*")
                    && !ORIGIN.matcher(origin).matches()) {
                throw notAllowed(key, item, expected);
            }
            if (!origins.contains(origin)) {
                origins.add(origin);
            }
        }
        return List.copyOf(origins);
    }

    /** The items of a list value; a single string is read as a comma-separated list (env and -D values). */
    private List<String> items(String key, String expected, String expectedList) {
        ConfigValue value = value(key);
        List<String> items = new ArrayList<>();
        if (value == null) {
            return items;
        } else if (value instanceof ConfigList list) {
            for (ConfigValue item : list) {
                if (item.valueType() != ConfigValueType.STRING) {
                    throw invalid(key, item, expected);
                }
                items.add(((String) item.unwrapped()).strip());
            }
        } else if (value.valueType() == ConfigValueType.STRING) {
            String text = ((String) value.unwrapped()).strip();
            if (text.startsWith("[") && text.endsWith("]")) {
                text = text.substring(1, text.length() - 1);
            }
            for (String item : text.split(",")) {
                if (!item.isBlank()) {
                    items.add(item.strip().replaceAll("^\"|\"$", ""));
                }
            }
        } else {
            throw invalid(key, expectedList);
        }
        return items;
    }

    private SettingsException notAllowed(String key, String item, String expected) {
        return new SettingsException(key + ": " + render(item) + " is not allowed (expected " + expected + ")"
                + where(config.getValue(key).origin()));
    }

    /** A {@link SettingsException} for the current value of {@code key}. */
    SettingsException invalid(String key, String expected) {
        return invalid(key, config.getValue(key), expected);
    }

    private SettingsException invalid(String key, ConfigValue value, String expected) {
        return new SettingsException(key + ": " + render(value) + " is not allowed (expected " + expected + ")"
                + where(value.origin()));
    }

    private int intInRange(String key, int min, int max, String expected) {
        ConfigValue value = config.getValue(key);
        Object raw = value.unwrapped();
        long number;
        if (raw instanceof Integer || raw instanceof Long) {
            number = ((Number) raw).longValue();
        } else if (raw instanceof String text && text.strip().matches("[+-]?\\d{1,18}")) {
            number = Long.parseLong(text.strip());
        } else {
            throw invalid(key, expected);
        }
        if (number < min || number > max) {
            throw invalid(key, expected);
        }
        return (int) number;
    }

    /** A section of names to non-empty texts ({@code name = "text"}), at most {@code maxEntries} of at most
     * {@code maxLength} characters; empty when null. */
    java.util.Map<String, String> texts(String key, int maxEntries, int maxLength) {
        ConfigValue value = value(key);
        if (value == null) {
            return java.util.Map.of();
        }
        if (!(value instanceof com.typesafe.config.ConfigObject object) || object.size() > maxEntries) {
            throw invalid(key, "a section { name = \"text\" } of at most " + maxEntries + " entries");
        }
        java.util.Map<String, String> texts = new java.util.TreeMap<>();
        for (var entry : object.entrySet()) {
            Object raw = entry.getValue().unwrapped();
            String text = raw instanceof String s ? s.strip() : null;
            if (text == null || text.isEmpty() || text.length() > maxLength) {
                throw invalid(key, entry.getValue(), "a text of 1 to " + maxLength + " characters for " + entry.getKey());
            }
            texts.put(entry.getKey(), text);
        }
        return texts;
    }

    /** The value, or null for a HOCON null. */
    private ConfigValue value(String key) {
        return config.getIsNull(key) ? null : config.getValue(key);
    }

    /** The value alone under the key "v", to reuse Typesafe Config's duration/size/boolean parsing. */
    private Config single(String key) {
        return ConfigFactory.empty().withValue("v", config.getValue(key));
    }

    /** ", set in FILE line N" or ", set in environment variable X"; empty for built-in defaults. */
    static String where(ConfigOrigin origin) {
        if (origin == null || origin.resource() != null) {
            return "";
        }
        if (origin.filename() != null) {
            return origin.lineNumber() > 0
                    ? ", set in " + origin.filename() + " line " + origin.lineNumber()
                    : ", set in " + origin.filename();
        }
        String description = origin.description();
        return description.startsWith("set ") ? ", " + description : ", set in " + description;
    }

    static String render(ConfigValue value) {
        if (value.valueType() == ConfigValueType.NULL) {
            return "null";
        }
        if (value.valueType() == ConfigValueType.STRING) {
            return render((String) value.unwrapped());
        }
        return value.render(com.typesafe.config.ConfigRenderOptions.concise());
    }

    /** Token-like text as is, anything else (empty, spaces, quotes) quoted. */
    static String render(String text) {
        if (BARE_TOKEN.matcher(text).matches()) {
            return text;
        }
        return '"' + text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n").replace("\r", "\\r") + '"';
    }
}
