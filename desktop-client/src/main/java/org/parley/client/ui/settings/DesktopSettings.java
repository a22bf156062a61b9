package org.parley.client.ui.settings;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Properties;

import org.parley.client.core.CertificateTrust;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the desktop client remembers between runs, in the user's Parley configuration directory
 * ({@code $XDG_CONFIG_HOME/parley/}, by default {@code ~/.config/parley/}, next to the pinned certificates):
 * <ul>
 * <li>{@code desktop.properties}: theme, last server and address, whether to remember the password;
 * <li>{@code passwords.properties}: only when the user ticked "Remember password", one line per account, the
 * password Base64-encoded — obfuscated, <em>not encrypted</em>: anyone who can read the file can read the
 * password. The file is created readable by its owner only (mode 600) where the file system has POSIX
 * permissions. Unticking the box removes the line.
 * </ul>
 * An unreadable file is logged and treated as empty; it is only replaced when a setting changes.
 */
public final class DesktopSettings {

    private static final Logger LOG = LoggerFactory.getLogger(DesktopSettings.class);

    /** Light or dark FlatLaf theme. */
    public enum Theme {
        LIGHT, DARK
    }

    private final Path directory;
    private final Properties settings;
    private final Properties passwords;

    public DesktopSettings(Path directory) {
        this.directory = directory;
        this.settings = load(settingsFile());
        this.passwords = load(passwordFile());
    }

    /** The settings in the user's configuration directory (the directory of {@link CertificateTrust#defaultFile()}). */
    public static DesktopSettings userDefault() {
        return new DesktopSettings(CertificateTrust.defaultFile().getParent());
    }

    public Path directory() {
        return directory;
    }

    public Path settingsFile() {
        return directory.resolve("desktop.properties");
    }

    public Path passwordFile() {
        return directory.resolve("passwords.properties");
    }

    /** The certificate pins kept next to these settings. */
    public CertificateTrust certificateTrust() {
        return new CertificateTrust(directory.resolve("trusted-servers.properties"));
    }

    public synchronized Theme theme() {
        return "dark".equalsIgnoreCase(settings.getProperty("theme")) ? Theme.DARK : Theme.LIGHT;
    }

    public synchronized void setTheme(Theme theme) {
        settings.setProperty("theme", theme.name().toLowerCase(java.util.Locale.ROOT));
        save(settingsFile(), settings, "Parley desktop client settings", false);
    }

    /** The server field of the last successful login ({@code host[:port]}, may be empty). */
    public synchronized String lastServer() {
        return settings.getProperty("last.server", "");
    }

    public synchronized String lastJid() {
        return settings.getProperty("last.jid", "");
    }

    public synchronized boolean rememberPassword() {
        return Boolean.parseBoolean(settings.getProperty("remember-password", "false"));
    }

    /** Records a successful login. */
    public synchronized void rememberLogin(String server, String jid, boolean rememberPassword) {
        settings.setProperty("last.server", server == null ? "" : server.trim());
        settings.setProperty("last.jid", jid.trim());
        settings.setProperty("remember-password", Boolean.toString(rememberPassword));
        save(settingsFile(), settings, "Parley desktop client settings", false);
    }

    /** The remembered password for {@code jid}, or null. */
    public synchronized String password(String jid) {
        String encoded = passwords.getProperty(key(jid));
        if (encoded == null) {
            return null;
        }
        try {
            return new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            LOG.warn("ignoring a damaged remembered password for {} in {}", jid, passwordFile());
            return null;
        }
    }

    /** Remembers the password; only called when the user asked for it. */
    public synchronized void storePassword(String jid, String password) {
        passwords.setProperty(key(jid), Base64.getEncoder().encodeToString(password.getBytes(StandardCharsets.UTF_8)));
        save(passwordFile(), passwords, "Parley: remembered passwords, Base64 (obfuscated, NOT encrypted)", true);
    }

    /** Forgets the password for {@code jid} (the line is removed from the file). */
    public synchronized void forgetPassword(String jid) {
        if (passwords.remove(key(jid)) != null) {
            save(passwordFile(), passwords, "Parley: remembered passwords, Base64 (obfuscated, NOT encrypted)", true);
        }
    }

    private static String key(String jid) {
        return jid.trim().toLowerCase(java.util.Locale.ROOT);
    }

    private static Properties load(Path file) {
        Properties properties = new Properties();
        if (Files.isRegularFile(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                properties.load(in);
            } catch (IOException | IllegalArgumentException e) {
                LOG.warn("cannot read {} ({}); starting from defaults", file, e.toString());
                return new Properties(); // not half of it
            }
        }
        return properties;
    }

    private void save(Path file, Properties properties, String comment, boolean ownerOnly) {
        try {
            Files.createDirectories(directory);
            Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
            Files.deleteIfExists(temporary);
            if (ownerOnly && FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                // Created with mode 600 before anything is written to it, so the secret is never world-readable.
                Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            try (OutputStream out = Files.newOutputStream(temporary)) {
                properties.store(out, comment);
            }
            try {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            // The session goes on; only remembering failed.
            LOG.warn("cannot write {}: {}", file, e.toString());
        }
    }
}
