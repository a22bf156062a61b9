package org.parley.client.ui;

import com.formdev.flatlaf.FlatDarkLaf;
import com.formdev.flatlaf.FlatLaf;
import com.formdev.flatlaf.FlatLightLaf;

import org.parley.client.ui.settings.DesktopSettings.Theme;

/** FlatLaf's light and dark look and feel; switching repaints every open window. Call on the EDT. */
public final class Themes {

    private Themes() {
    }

    public static void apply(Theme theme) {
        if (theme == Theme.DARK) {
            FlatDarkLaf.setup();
        } else {
            FlatLightLaf.setup();
        }
        FlatLaf.updateUI();
    }
}
