package org.parley.client.ui;

import java.awt.AWTException;
import java.awt.Image;
import java.awt.SystemTray;
import java.awt.TrayIcon;
import java.awt.image.BufferedImage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notifications through the system tray where the desktop has one ({@link SystemTray#isSupported()}); where not,
 * through the desktop's notification service with {@code notify-send} when installed (Linux), else by asking for
 * attention through the taskbar or dock ({@link TaskbarNotifier}); elsewhere they are left out (unread counts in the
 * tab titles still show new messages).
 */
public final class TrayNotifier implements Notifier, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TrayNotifier.class);

    private final TrayIcon icon;

    private TrayNotifier(TrayIcon icon) {
        this.icon = icon;
    }

    /** A tray notifier, or {@link Notifier#NONE} when the desktop has no tray. Call on the EDT. */
    public static Notifier create(Image image, Runnable onClick) {
        if (!SystemTray.isSupported()) {
            // GNOME and others have no tray but a notification service: use it through notify-send.
            Notifier service = NotifySendNotifier.ifAvailable();
            if (service == null) {
                service = TaskbarNotifier.ifSupported(); // macOS dock, Windows taskbar: ask for attention
            }
            if (service == null) {
                LOG.info("no system tray, no notify-send and no taskbar on this desktop: notifications are off");
                return NONE;
            }
            return service;
        }
        TrayIcon icon = new TrayIcon(image == null ? new BufferedImage(16, 16, BufferedImage.TYPE_INT_ARGB) : image, "Parley");
        icon.setImageAutoSize(true);
        icon.addActionListener(e -> onClick.run());
        try {
            SystemTray.getSystemTray().add(icon);
        } catch (AWTException e) {
            LOG.info("cannot add a tray icon ({}): notifications are off", e.toString());
            return NONE;
        }
        return new TrayNotifier(icon);
    }

    @Override
    public void notify(String title, String text) {
        icon.displayMessage(title, text.length() > 200 ? text.substring(0, 200) + "…" : text, TrayIcon.MessageType.INFO);
    }

    @Override
    public void close() {
        SystemTray.getSystemTray().remove(icon);
    }
}
