package org.parley.client.ui;

import java.awt.GraphicsEnvironment;
import java.awt.Taskbar;

/**
 * The last resort where there is neither a system tray nor {@code notify-send} (macOS dock, Windows taskbar
 * without a tray icon): the application asks for the user's attention through {@link Taskbar} — the dock icon
 * bounces, the taskbar button flashes — which is what a desktop offers without a notification API in Java.
 */
final class TaskbarNotifier implements Notifier {

    private final Taskbar taskbar;

    private TaskbarNotifier(Taskbar taskbar) {
        this.taskbar = taskbar;
    }

    /** A notifier through the taskbar, or null when this desktop has none that can ask for attention. */
    static Notifier ifSupported() {
        if (GraphicsEnvironment.isHeadless() || !Taskbar.isTaskbarSupported()) {
            return null;
        }
        Taskbar taskbar = Taskbar.getTaskbar();
        return taskbar.isSupported(Taskbar.Feature.USER_ATTENTION) ? new TaskbarNotifier(taskbar) : null;
    }

    @Override
    public void notify(String title, String text) {
        taskbar.requestUserAttention(true, false); // until the user looks; the tab titles say what is new
    }
}
