package org.parley.server.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsLoaderTest {

    @TempDir
    Path dir;

    private SettingsLoader loader() {
        return new SettingsLoader().baseDirectory(dir);
    }

    private Path file(String content) throws IOException {
        return Files.writeString(dir.resolve("parley.conf"), content);
    }

    private String error(SettingsLoader loader) {
        return assertThrows(SettingsException.class, loader::loadAll).getMessage();
    }

    @Test
    void defaultsLoad() {
        SettingsLoader.Loaded loaded = loader().loadAll();
        ServerSettings s = loaded.server();
        assertEquals("localhost", s.domain());
        assertEquals(dir.resolve("data"), s.dataDirectory());
        assertEquals(new ServerSettings.C2s("0.0.0.0", 5222, true, 5223), s.c2s());
        assertEquals(new ServerSettings.Tls(null, null, null), s.tls());
        assertEquals(new ServerSettings.StorageSettings(null, null, null, 10), s.storage());
        assertEquals(new ServerSettings.Registration(true, 5), s.registration());
        assertEquals(new ServerSettings.Limits(256 * 1024, 16 * 1024, Duration.ofMinutes(5), Duration.ofSeconds(60),
                1000, 4096), s.limits());
        assertEquals(List.of(), s.admins());
        assertEquals(new ServerSettings.Http("0.0.0.0", 8080), s.http());
        assertEquals(LoggingSettings.defaults(), loaded.logging());
    }

    @Test
    void fileOverridesDefaults() throws IOException {
        Path config = file("""
                domain = Chat.Example.ORG.
                data-directory = state
                c2s { port = 15222, direct-tls-port = -1 }
                storage.jdbc-url = "jdbc:postgresql://db/parley"
                limits.idle-timeout = 10m
                limits.stanza-size = 1MiB
                admins = ["Admin@Chat.Example.org", "ops@chat.example.org"]
                logging { level = DEBUG, format = json }
                """);
        SettingsLoader.Loaded loaded = loader().configFile(config).loadAll();
        ServerSettings s = loaded.server();
        assertEquals("chat.example.org", s.domain());
        assertEquals(dir.resolve("state"), s.dataDirectory());
        assertEquals(15222, s.c2s().port());
        assertEquals(-1, s.c2s().directTlsPort());
        assertEquals("jdbc:postgresql://db/parley", s.storage().jdbcUrl());
        assertEquals(Duration.ofMinutes(10), s.limits().idleTimeout());
        assertEquals(1024 * 1024, s.limits().stanzaBytes());
        assertEquals(List.of("admin@chat.example.org", "ops@chat.example.org"), s.admins());
        assertEquals(new LoggingSettings("debug", "json"), loaded.logging());
        assertEquals(5222 + 0, new SettingsLoader().load().c2s().port(), "defaults untouched");
    }

    @Test
    void environmentOverridesFile() throws IOException {
        Path config = file("c2s.port = 15222\nregistration.enabled = true\n");
        ServerSettings s = loader().configFile(config).environment(Map.of(
                "PARLEY_C2S_PORT", "6222",
                "PARLEY_REGISTRATION_ENABLED", "false",
                "PARLEY_LIMITS_KEEPALIVE_INTERVAL", "2m",
                "PARLEY_ADMINS", "a@localhost, b@localhost",
                "PARLEY_STORAGE_USER", "",
                "PARLEY_JAVA_OPTS", "-Xmx1g",
                "HOME", "/root")).load();
        assertEquals(6222, s.c2s().port());
        assertFalse(s.registration().enabled());
        assertEquals(Duration.ofMinutes(2), s.limits().keepaliveInterval());
        assertEquals(List.of("a@localhost", "b@localhost"), s.admins());
        assertNull(s.storage().user());
    }

    @Test
    void commandLineOverridesEnvironment() {
        ServerSettings s = loader()
                .environment(Map.of("PARLEY_C2S_PORT", "6222", "PARLEY_DOMAIN", "env.example"))
                .overrides(Map.of("c2s.port", "7222", "data-directory", "/srv/parley"))
                .load();
        assertEquals(7222, s.c2s().port());
        assertEquals("env.example", s.domain());
        assertEquals(Path.of("/srv/parley"), s.dataDirectory());
    }

    @Test
    void environmentVariableNames() {
        assertEquals("PARLEY_C2S_DIRECT_TLS_PORT", SettingsLoader.environmentVariable("c2s.direct-tls-port"));
        assertEquals("PARLEY_DATA_DIRECTORY", SettingsLoader.environmentVariable("data-directory"));
        assertTrue(SettingsLoader.keys().contains("limits.pre-auth-stanza-size"));
    }

    @Test
    void portOutOfRange() throws IOException {
        assertEquals("c2s.port: 70000 is not allowed (expected a port 0-65535), set on the command line",
                error(loader().overrides(Map.of("c2s.port", "70000"))));
        Path config = file("# comment\nc2s.direct-tls-port = 70000\n");
        assertEquals("c2s.direct-tls-port: 70000 is not allowed (expected a port 0-65535, or -1 to disable), set in "
                + config + " line 2", error(loader().configFile(config)));
        assertEquals("http.port: abc is not allowed (expected a port 0-65535, or -1 to disable), set in environment"
                + " variable PARLEY_HTTP_PORT", error(loader().environment(Map.of("PARLEY_HTTP_PORT", "abc"))));
    }

    @Test
    void badDuration() {
        assertEquals("limits.idle-timeout: 5x is not allowed (expected a duration from 30s to 1d, e.g. 90s or 5m),"
                + " set on the command line", error(loader().overrides(Map.of("limits.idle-timeout", "5x"))));
        assertEquals("limits.keepalive-interval: 2h is not allowed (expected a duration from 5s to 1h, e.g. 90s or 5m),"
                + " set on the command line", error(loader().overrides(Map.of("limits.keepalive-interval", "2h"))));
    }

    @Test
    void badSize() {
        assertEquals("limits.stanza-size: 100MiB is not allowed (expected a size from 10000B to 16MiB, e.g. 256KiB),"
                + " set on the command line", error(loader().overrides(Map.of("limits.stanza-size", "100MiB"))));
        assertEquals("limits.stanza-size: lots is not allowed (expected a size from 10000B to 16MiB, e.g. 256KiB),"
                + " set on the command line", error(loader().overrides(Map.of("limits.stanza-size", "lots"))));
        assertEquals("limits.pre-auth-stanza-size: 64KiB is not allowed (expected at most limits.stanza-size, 32KiB),"
                + " set on the command line", error(loader().overrides(Map.of(
                        "limits.stanza-size", "32KiB", "limits.pre-auth-stanza-size", "64KiB"))));
    }

    /** The avatar cap defaults to 128 KiB and must leave its base64 form room in a stanza. */
    @Test
    void avatarSizeIsBoundedByTheStanzaSize() {
        assertEquals(128 * 1024, loader().load().limits().avatarBytes());
        assertEquals(64 * 1024, loader().overrides(Map.of("limits.avatar-size", "64KiB")).load().limits().avatarBytes());
        assertEquals("limits.avatar-size: 200KiB is not allowed (expected a size from 1KiB to 189KiB, e.g. 256KiB),"
                + " set on the command line", error(loader().overrides(Map.of("limits.avatar-size", "200KiB"))));
    }

    /** Issue 17's quotas: defaults, overrides, bounds (the pubsub item size at most the stanza size). */
    @Test
    void quotasHaveDefaultsAndBounds() {
        assertEquals(ServerSettings.Quotas.DEFAULTS, loader().load().limits().guard().quotas());
        assertEquals(new ServerSettings.Quotas(5000, 7, 64 * 1024, 3), loader().overrides(Map.of(
                "limits.roster-size", "5000", "limits.private-xml-items", "7", "limits.pubsub-item-size", "64KiB",
                "limits.rooms-per-account", "3")).load().limits().guard().quotas());
        assertEquals("limits.roster-size: 0 is not allowed (expected a whole number 1-1000000), set on the command"
                + " line", error(loader().overrides(Map.of("limits.roster-size", "0"))));
        assertEquals("limits.pubsub-item-size: 512KiB is not allowed (expected a size from 1KiB to 256KiB, e.g."
                + " 256KiB), set on the command line", error(loader().overrides(Map.of("limits.pubsub-item-size",
                "512KiB"))));
        assertEquals(new ServerSettings.Quotas(1000, 100, 256 * 1024, 100, 2000, 50, 7), loader().overrides(Map.of(
                "limits.archive-messages-per-account", "2000", "limits.pubsub-items-per-account", "50",
                "limits.pubsub-nodes-per-account", "7")).load().limits().guard().quotas());
        assertEquals("limits.pubsub-nodes-per-account: 0 is not allowed (expected a whole number 1-100000), set on"
                + " the command line", error(loader().overrides(Map.of("limits.pubsub-nodes-per-account", "0"))));
    }

    /** Issue 17: the archive keeps a year by default; null (in a file) still keeps it forever. */
    @Test
    void archiveRetentionIsAYearByDefault() throws IOException {
        assertEquals(java.time.Duration.ofDays(365), loader().load().mam().retention());
        assertEquals(java.time.Duration.ZERO, loader().configFile(file("mam {\n  retention = null\n}\n")).load()
                .mam().retention());
    }

    @Test
    void booleanTypo() throws IOException {
        Path config = file("c2s {\n  starttls-required = ture\n}\n");
        assertEquals("c2s.starttls-required: ture is not allowed (expected true or false), set in " + config
                + " line 2", error(loader().configFile(config)));
    }

    @Test
    void unknownKeyInFile() throws IOException {
        Path config = file("c2s.prot = 5222\n");
        assertEquals("c2s.prot: unknown setting (did you mean c2s.port?), set in " + config + " line 1",
                error(loader().configFile(config)));
        config = file("\nfrobnicate = yes\n");
        assertEquals("frobnicate: unknown setting, set in " + config + " line 2", error(loader().configFile(config)));
        config = file("limits = 5\n");
        assertEquals("limits: 5 is not allowed (expected a section { ... }), set in " + config + " line 1",
                error(loader().configFile(config)));
        config = file("tls.certifcate = null\n");
        assertTrue(error(loader().configFile(config)).startsWith("tls.certifcate: unknown setting (did you mean"
                + " tls.certificate?)"));
    }

    @Test
    void unknownKeyOnCommandLine() {
        assertEquals("registration.enable: unknown setting (did you mean registration.enabled?), set on the command"
                + " line", error(loader().overrides(Map.of("registration.enable", "true"))));
    }

    @Test
    void missingFile() {
        Path missing = dir.resolve("missing.conf");
        assertEquals("config file " + missing + " does not exist", error(loader().configFile(Path.of("missing.conf"))));
    }

    @Test
    void syntaxErrorIsOneLineNamingTheFile() throws IOException {
        Path config = file("c2s {\n  port = 5222\n");
        String message = error(loader().configFile(config));
        assertTrue(message.contains(config.toString()), message);
        assertFalse(message.contains("\n"), message);
    }

    @Test
    void invalidDomainAndJids() {
        assertEquals("domain: \"my server\" is not allowed (expected a domain name such as chat.example.org, or"
                + " localhost), set on the command line", error(loader().overrides(Map.of("domain", "my server"))));
        assertEquals("admins: bob is not allowed (expected bare JIDs such as admin@example.org), set in environment"
                + " variable PARLEY_ADMINS", error(loader().environment(Map.of("PARLEY_ADMINS", "a@localhost,bob"))));
        assertEquals("admins: a@localhost/phone is not allowed (expected bare JIDs such as admin@example.org), set on"
                + " the command line", error(loader().overrides(Map.of("admins", "a@localhost/phone"))));
    }

    @Test
    void otherBounds() throws IOException {
        assertEquals("logging.format: xml is not allowed (expected text or json), set on the command line",
                error(loader().overrides(Map.of("logging.format", "xml"))));
        assertEquals("limits.scram-iterations: 1000 is not allowed (expected a whole number 4096-1000000), set on"
                + " the command line", error(loader().overrides(Map.of("limits.scram-iterations", "1000"))));
        assertEquals("storage.jdbc-url: postgres://db is not allowed (expected a PostgreSQL JDBC URL"
                + " jdbc:postgresql://host[:port]/database, an H2 URL jdbc:h2:..., or null for the embedded database),"
                + " set on the command line", error(loader().overrides(Map.of("storage.jdbc-url", "postgres://db"))));
        assertEquals("storage.jdbc-url: jdbc:mysql://db/parley is not allowed (expected a PostgreSQL JDBC URL"
                + " jdbc:postgresql://host[:port]/database, an H2 URL jdbc:h2:..., or null for the embedded database),"
                + " set on the command line",
                error(loader().overrides(Map.of("storage.jdbc-url", "jdbc:mysql://db/parley"))));
        assertEquals("tls.key: key.pem is not allowed (expected null unless tls.certificate is set), set on the"
                + " command line", error(loader().overrides(Map.of("tls.key", "key.pem"))));
        assertEquals("tls.certificate: " + dir.resolve("cert.pem") + " is not a readable file, set on the command"
                + " line", error(loader().overrides(Map.of("tls.certificate", "cert.pem"))));
        Files.writeString(dir.resolve("cert.pem"), "x");
        assertEquals(dir.resolve("cert.pem"),
                loader().overrides(Map.of("tls.certificate", "cert.pem")).load().tls().certificateFile());
    }

    @Test
    void webGatewaySettings() throws IOException {
        assertEquals(new ServerSettings.Http("0.0.0.0", 8080, -1, List.of("self", "loopback"),
                new ServerSettings.Bosh(Duration.ofSeconds(60), Duration.ofSeconds(30), Duration.ofSeconds(120))),
                loader().load().http());
        Path config = file("""
                http { tls-port = 8443, allowed-origins = ["self", "HTTPS://Chat.Example.org", "http://[::1]:3000"] }
                http.bosh { max-wait = 20s, inactivity = 1s, max-pause = 5m }
                """);
        ServerSettings.Http http = loader().configFile(config).load().http();
        assertEquals(8443, http.tlsPort());
        assertEquals(List.of("self", "https://chat.example.org", "http://[::1]:3000"), http.allowedOrigins());
        assertEquals(new ServerSettings.Bosh(Duration.ofSeconds(20), Duration.ofSeconds(1), Duration.ofMinutes(5)),
                http.bosh());
        assertEquals(List.of("*"), loader().environment(Map.of("PARLEY_HTTP_ALLOWED_ORIGINS", "*")).load()
                .http().allowedOrigins());
        assertEquals("http.allowed-origins: https://chat.example.org/app is not allowed (expected origins such as"
                + " https://chat.example.org, or self, loopback or *), set on the command line",
                error(loader().overrides(Map.of("http.allowed-origins", "self, https://chat.example.org/app"))));
        assertEquals("http.bosh.inactivity: 0s is not allowed (expected a duration from 1s to 1h, e.g. 90s or 5m),"
                + " set on the command line", error(loader().overrides(Map.of("http.bosh.inactivity", "0s"))));
        assertEquals("http.tls-port: 70000 is not allowed (expected a port 0-65535, or -1 to disable), set on the"
                + " command line", error(loader().overrides(Map.of("http.tls-port", "70000"))));
    }

    @Test
    void uploadSettings() throws IOException {
        assertEquals(ServerSettings.Upload.DEFAULTS, loader().load().upload());
        Path config = file("""
                upload { max-file-size = 10MiB, quota = 5GiB, slot-expiry = 60s, retention = 30d,
                         public-url = "https://chat.example.org/upload/", subdomain = files }
                """);
        ServerSettings.Upload u = loader().configFile(config).load().upload();
        assertEquals(new ServerSettings.Upload(true, "files", 10L << 20, 5L << 30, Duration.ofSeconds(60),
                Duration.ofDays(30), java.net.URI.create("https://chat.example.org/upload")), u);
        assertEquals(Duration.ZERO, loader().overrides(Map.of("upload.retention", "0")).load().upload().retention());
        assertEquals(0, loader().overrides(Map.of("upload.quota", "0")).load().upload().quota());
        assertEquals("upload.quota: 1MiB is not allowed (expected 0 (no quota) or at least upload.max-file-size,"
                + " 100MiB), set on the command line", error(loader().overrides(Map.of("upload.quota", "1MiB"))));
        assertEquals("upload.public-url: ftp://x.org is not allowed (expected an http:// or https:// URL such as"
                + " https://files.example.org/upload), set on the command line",
                error(loader().overrides(Map.of("upload.public-url", "ftp://x.org"))));
        assertTrue(error(loader().overrides(Map.of("upload.public-url", "https://x.org/upload?a=b")))
                .startsWith("upload.public-url: "));
        assertTrue(error(loader().overrides(Map.of("upload.slot-expiry", "1s"))).startsWith("upload.slot-expiry: "));
    }

    @Test
    void contactAddressesAndExternalServices() throws IOException {
        assertEquals(ServerSettings.ContactAddresses.NONE, loader().load().contacts());
        assertEquals(ServerSettings.ExternalServices.NONE, loader().load().externalServices());
        Path config = file("""
                contact-addresses { abuse = ["mailto:abuse@example.org", "xmpp:abuse@example.org"] }
                external-services {
                  servers = ["stun:stun.example.org", "turn:turn.example.org:3479?transport=udp", "turns:[2001:db8::1]"]
                  secret = "s3cret", credential-lifetime = 2h
                }
                """);
        ServerSettings s = loader().configFile(config).load();
        assertEquals(Map.of("abuse", List.of("mailto:abuse@example.org", "xmpp:abuse@example.org")), s.contacts().byKind());
        assertEquals(List.of(
                new ServerSettings.ExternalServices.Service("stun", "stun.example.org", 3478, "udp"),
                new ServerSettings.ExternalServices.Service("turn", "turn.example.org", 3479, "udp"),
                new ServerSettings.ExternalServices.Service("turns", "2001:db8::1", 5349, "tcp")),
                s.externalServices().servers());
        assertEquals("s3cret", s.externalServices().secret());
        assertEquals(Duration.ofHours(2), s.externalServices().credentialLifetime());
        assertTrue(error(loader().overrides(Map.of("contact-addresses.admin", "admin@example.org")))
                .startsWith("contact-addresses.admin: admin@example.org is not allowed (expected URIs"));
        assertTrue(error(loader().overrides(Map.of("external-services.servers", "turn.example.org")))
                .startsWith("external-services.servers: turn.example.org is not allowed (expected STUN/TURN URIs"));
        assertTrue(error(loader().overrides(Map.of("external-services.servers", "stun:x.org:70000")))
                .startsWith("external-services.servers: "));
    }

    @Test
    void externalComponentsXep0114() throws IOException {
        assertEquals(ServerSettings.Components.OFF, loader().load().components());
        Path config = file("""
                domain = "example.org"
                components {
                  port = 5347
                  secrets { "gateway" = "s3cret", "Bot.Example.org" = " other " }
                }
                """);
        ServerSettings.Components c = loader().configFile(config).load().components();
        assertEquals(new ServerSettings.Components(5347, "127.0.0.1", Map.of("gateway", "s3cret", "bot", "other")), c);
        assertTrue(error(loader().configFile(file("""
                domain = "example.org"
                components.secrets { "bot.other.org" = "x" }
                """))).startsWith("components.secrets: "));
        assertTrue(error(loader().configFile(file("""
                components.secrets { "bot" = "" }
                """))).startsWith("components.secrets: "));
        assertTrue(error(loader().configFile(file("""
                components.secrets = "bot"
                """))).startsWith("components.secrets: "));
        assertTrue(error(loader().overrides(Map.of("components.port", "70000"))).startsWith("components.port: "));
    }

    @Test
    void repositoryConfigFileEqualsTheDefaults() {
        Path repositoryConfig = Path.of("../config/parley.conf");
        assertTrue(Files.isRegularFile(repositoryConfig), "config/parley.conf at the repository root");
        assertEquals(new SettingsLoader().loadAll(), new SettingsLoader().configFile(repositoryConfig).loadAll());
    }

    @Test
    void repositoryConfigFileListsEveryKey() {
        Config file = ConfigFactory.parseFile(Path.of("../config/parley.conf").toFile());
        for (String key : SettingsLoader.keys()) {
            assertTrue(file.hasPathOrNull(key), "config/parley.conf lacks " + key);
        }
    }
}
