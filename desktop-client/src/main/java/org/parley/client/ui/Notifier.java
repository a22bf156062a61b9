package org.parley.client.ui;

/**
 * Tells the user about something that arrived while they were looking elsewhere (a message in a chat or room
 * that is not in front). The desktop app shows a system-tray notification where the desktop supports one.
 */
@FunctionalInterface
public interface Notifier {

    void notify(String title, String text);

    /** Shows nothing (no tray, or notifications turned off). */
    Notifier NONE = (title, text) -> {
    };
}
