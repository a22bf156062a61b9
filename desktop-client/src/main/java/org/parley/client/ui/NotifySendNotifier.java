package org.parley.client.ui;

import java.io.File;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notifications through the desktop's notification service with {@code notify-send} (libnotify, freedesktop.org
 * notifications), for Linux desktops without a system tray (GNOME, for one). The command gets the title and text
 * as separate arguments (no shell in between), runs off the event thread, and at most a few wait their turn:
 * a burst of messages never starts a burst of processes.
 */
final class NotifySendNotifier implements Notifier {

    private static final Logger LOG = LoggerFactory.getLogger(NotifySendNotifier.class);
    private static final int MAX_TEXT = 200;

    private final String command;
    private final ExecutorService runner = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(3), r -> {
                Thread t = new Thread(r, "parley-notify");
                t.setDaemon(true);
                return t;
            }, new ThreadPoolExecutor.DiscardPolicy());

    private NotifySendNotifier(String command) {
        this.command = command;
    }

    /** A notifier when {@code notify-send} is on the PATH, otherwise null. */
    static Notifier ifAvailable() {
        return onPath(System.getenv("PATH"));
    }

    /** A notifier when {@code notify-send} is in one of these directories (a PATH value), otherwise null. */
    static NotifySendNotifier onPath(String path) {
        if (path == null) {
            return null;
        }
        for (String dir : path.split(File.pathSeparator)) {
            File candidate = new File(dir, "notify-send");
            if (candidate.isFile() && candidate.canExecute()) {
                return new NotifySendNotifier(candidate.getPath());
            }
        }
        return null;
    }

    /** Waits until the notifications handed over so far have been run (tests). */
    void drain() throws InterruptedException {
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        runner.execute(done::countDown);
        done.await(10, TimeUnit.SECONDS);
    }

    @Override
    public void notify(String title, String text) {
        String shown = text.length() > MAX_TEXT ? text.substring(0, MAX_TEXT) + "…" : text;
        runner.execute(() -> {
            try {
                Process process = new ProcessBuilder(List.of(command, "--app-name=Parley", "--", title, shown))
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (Exception e) {
                LOG.debug("notify-send failed: {}", e.toString());
            }
        });
    }
}
