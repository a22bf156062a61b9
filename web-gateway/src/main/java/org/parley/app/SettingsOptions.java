package org.parley.app;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.parley.server.config.SettingsLoader;
import picocli.CommandLine.Option;

/**
 * The options every command shares for finding its settings. Named options are shorthands for
 * {@code -D key=value} and win over it; together they beat environment variables, which beat the file.
 */
public final class SettingsOptions {

    /** Looked for in the working directory when {@code --config} is not given. */
    static final Path DEFAULT_CONFIG = Path.of("config", "parley.conf");

    @Option(names = "--config", paramLabel = "FILE",
            description = "Settings file (HOCON). Default: config/parley.conf when it exists in the working"
                    + " directory, otherwise the built-in defaults.")
    Path config;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Data directory (setting data-directory).")
    Path dataDirectory;

    @Option(names = "--domain", paramLabel = "DOMAIN", description = "XMPP domain served (setting domain).")
    String domain;

    @Option(names = "-D", paramLabel = "KEY=VALUE", mapFallbackValue = "",
            description = "Any setting, e.g. -D c2s.port=5222 -D limits.idle-timeout=10m. Repeatable.")
    Map<String, String> settings = new LinkedHashMap<>();

    @Option(names = "--debug", description = "Show the stack trace of an error.")
    boolean debug;

    /** Loads the settings, with {@code more} overrides (a command's own options) on top. */
    SettingsLoader.Loaded load(CliContext context, Map<String, String> more) {
        Map<String, String> overrides = new LinkedHashMap<>(settings);
        if (dataDirectory != null) {
            overrides.put("data-directory", dataDirectory.toString());
        }
        if (domain != null) {
            overrides.put("domain", domain);
        }
        overrides.putAll(more);
        return new SettingsLoader()
                .baseDirectory(context.workingDirectory())
                .configFile(configFile(context))
                .environment(context.environment())
                .overrides(overrides)
                .loadAll();
    }

    private Path configFile(CliContext context) {
        if (config != null) {
            return config;
        }
        return Files.isRegularFile(context.workingDirectory().resolve(DEFAULT_CONFIG)) ? DEFAULT_CONFIG : null;
    }
}
