package org.parley.client.ui;

import java.util.concurrent.BlockingQueue;

import org.parley.client.core.Clients;

/** A {@link Notifier} for tests: each notification becomes "title|text" in {@link #shown}. */
public final class RecordingNotifier implements Notifier {

    public final BlockingQueue<String> shown = Clients.queue();

    @Override
    public void notify(String title, String text) {
        shown.add(title + "|" + text);
    }
}
