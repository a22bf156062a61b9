package org.parley.client.ui.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the desktop client remembers, and how it copes with damaged files. */
class DesktopSettingsTest {

    @TempDir
    Path config;

    @Test
    void theThemeIsRememberedAndLightByDefault() {
        assertEquals(DesktopSettings.Theme.LIGHT, new DesktopSettings(config).theme());
        new DesktopSettings(config).setTheme(DesktopSettings.Theme.DARK);
        assertEquals(DesktopSettings.Theme.DARK, new DesktopSettings(config).theme());
    }

    @Test
    void aDamagedPasswordLineIsIgnoredAndOtherAccountsAreKept() throws Exception {
        DesktopSettings settings = new DesktopSettings(config);
        settings.storePassword("alice@example.org", "pw-a");
        Files.writeString(settings.passwordFile(), "bob@example.org=%%%not-base64%%%\n", java.nio.file.StandardOpenOption.APPEND);
        DesktopSettings again = new DesktopSettings(config);
        assertNull(again.password("bob@example.org"));
        assertEquals("pw-a", again.password("Alice@Example.org"), "addresses are compared case-insensitively");
        again.forgetPassword("alice@example.org");
        assertNull(new DesktopSettings(config).password("alice@example.org"));
    }

    @Test
    void anUnreadableSettingsFileStartsFromDefaults() throws Exception {
        Files.createDirectories(config);
        Files.writeString(config.resolve("desktop.properties"), "theme=dark\nlast.jid=\\u00zz broken escape\n");
        DesktopSettings settings = new DesktopSettings(config); // logs a warning, does not throw
        assertEquals(DesktopSettings.Theme.LIGHT, settings.theme());
        assertEquals("", settings.lastJid());
    }
}
