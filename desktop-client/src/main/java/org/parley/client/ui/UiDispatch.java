package org.parley.client.ui;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

import javax.swing.SwingUtilities;

import org.parley.client.core.ChatListener;
import org.parley.client.core.ChatMessage;
import org.parley.client.core.ConnectionStateListener;
import org.parley.client.core.Contact;
import org.parley.client.core.Invitation;
import org.parley.client.core.ParleyClient;
import org.parley.client.core.Room;
import org.parley.client.core.RoomListener;
import org.parley.client.core.RosterListener;
import org.parley.client.core.TypingState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where threads change. Client-core callbacks arrive on Smack's threads and are handed to the
 * UI thread here; blocking client calls (network round trips) run on one worker thread and their results
 * come back on the UI thread. Presenters and models are only ever touched on the UI thread, so they need no
 * locks. The desktop app uses the Swing event thread ({@link #swing()}); headless tests use a plain
 * single-thread executor in its place.
 */
public final class UiDispatch implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(UiDispatch.class);

    private final Executor ui;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "parley-ui-worker");
        t.setDaemon(true);
        return t;
    });

    public UiDispatch(Executor ui) {
        this.ui = ui;
    }

    /** Dispatch onto the Swing event dispatch thread. */
    public static UiDispatch swing() {
        return new UiDispatch(SwingUtilities::invokeLater);
    }

    /** Runs {@code action} on the UI thread. */
    public void ui(Runnable action) {
        ui.execute(action);
    }

    /**
     * Runs {@code work} on the worker thread, then {@code done} with its result, or {@code failed} with the
     * exception, on the UI thread.
     */
    public <T> void background(Callable<T> work, Consumer<? super T> done, Consumer<? super Exception> failed) {
        worker.execute(() -> {
            T result;
            try {
                result = work.call();
            } catch (Exception e) {
                LOG.debug("background work failed: {}", e.toString());
                ui.execute(() -> failed.accept(e));
                return;
            }
            ui.execute(() -> done.accept(result));
        });
    }

    // ------------------------------------------------------------ client-core listeners, on the UI thread

    public void onConnectionState(ParleyClient client, ConnectionStateListener listener) {
        client.addConnectionStateListener((state, cause) -> ui.execute(() -> listener.stateChanged(state, cause)));
    }

    public void onRoster(ParleyClient client, RosterListener listener) {
        client.addRosterListener(new RosterListener() {
            @Override
            public void rosterChanged() {
                ui.execute(listener::rosterChanged);
            }

            @Override
            public void presenceChanged(Contact contact) {
                ui.execute(() -> listener.presenceChanged(contact));
            }

            @Override
            public void subscriptionRequested(String jid) {
                ui.execute(() -> listener.subscriptionRequested(jid));
            }
        });
    }

    public void onChat(ParleyClient client, ChatListener listener) {
        client.addChatListener(new ChatListener() {
            @Override
            public void messageReceived(ChatMessage message) {
                ui.execute(() -> listener.messageReceived(message));
            }

            @Override
            public void chatStateChanged(String jid, TypingState state) {
                ui.execute(() -> listener.chatStateChanged(jid, state));
            }
        });
    }

    public void onInvitation(ParleyClient client, Consumer<Invitation> listener) {
        client.addInvitationListener(invitation -> ui.execute(() -> listener.accept(invitation)));
    }

    /** Adds {@code listener}, called on the event thread; returns what was added, for {@link Room#removeListener}. */
    public RoomListener onRoom(Room room, RoomListener listener) {
        RoomListener onEventThread = new RoomListener() {
            @Override
            public void messageReceived(Room r, ChatMessage message) {
                ui.execute(() -> listener.messageReceived(r, message));
            }

            @Override
            public void occupantJoined(Room r, String nick) {
                ui.execute(() -> listener.occupantJoined(r, nick));
            }

            @Override
            public void occupantLeft(Room r, String nick) {
                ui.execute(() -> listener.occupantLeft(r, nick));
            }

            @Override
            public void subjectChanged(Room r, String subject, String by) {
                ui.execute(() -> listener.subjectChanged(r, subject, by));
            }
        };
        room.addListener(onEventThread);
        return onEventThread;
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
