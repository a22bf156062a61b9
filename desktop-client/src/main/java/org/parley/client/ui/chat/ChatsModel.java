package org.parley.client.ui.chat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.parley.client.core.ChatListener;
import org.parley.client.core.ChatMessage;
import org.parley.client.core.ParleyClient;
import org.parley.client.core.TypingState;
import org.parley.client.ui.Errors;
import org.parley.client.ui.Notifier;
import org.parley.client.ui.UiDispatch;

/**
 * The 1:1 chats (one tab each): opening a chat loads its latest history from the server's archive
 * (XEP-0313), incoming messages open their chat, count as unread unless that chat is in front and raise a
 * notification; our typing is sent as chat states (XEP-0085: composing when we start, paused when we stop,
 * active with the message) and the partner's is shown. Used on the UI thread only.
 */
public final class ChatsModel {

    /** How many archived messages a chat shows when it opens. */
    public static final int HISTORY = 50;

    /** Told (on the UI thread) when a chat opens or changes. */
    public interface Listener {
        void opened(Conversation conversation);

        void changed(Conversation conversation);
    }

    private final ParleyClient client;
    private final UiDispatch dispatch;
    private final Notifier notifier;
    private final Map<String, Conversation> conversations = new LinkedHashMap<>();
    private final Map<String, TypingState> ownStates = new LinkedHashMap<>();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private String focused;
    private boolean windowActive = true;

    /** How a contact is shown: their roster name, else the address's local part ({@code bob}, not bob@example.org). */
    public String displayName(String jid) {
        return client.displayName(jid);
    }

    public ChatsModel(ParleyClient client, UiDispatch dispatch, Notifier notifier) {
        this.client = client;
        this.dispatch = dispatch;
        this.notifier = notifier;
        dispatch.onChat(client, new ChatListener() {
            @Override
            public void messageReceived(ChatMessage message) {
                received(message);
            }

            @Override
            public void reactionsChanged(String from, String messageId, java.util.Set<String> emojis) {
                Conversation c = conversations.get(bare(from));
                if (c != null && c.react(messageId, emojis)) {
                    changed(c);
                }
            }

            @Override
            public void messageCorrected(String from, String replacedId, ChatMessage correction) {
                Conversation c = conversations.get(bare(from));
                if (c != null && c.correct(replacedId, correction)) {
                    changed(c);
                } else {
                    received(correction); // nothing to correct here: show it as it is
                }
            }

            @Override
            public void chatStateChanged(String jid, TypingState state) {
                Conversation c = conversations.get(bare(jid));
                if (c != null) {
                    c.partnerState(state);
                    changed(c);
                }
            }
        });
    }

    public void addListener(Listener listener) {
        listeners.add(listener);
    }

    public List<Conversation> conversations() {
        return new ArrayList<>(conversations.values());
    }

    public Conversation conversation(String jid) {
        return conversations.get(bare(jid));
    }

    /** Opens the chat with {@code jid} (or returns the open one) and starts loading its history. */
    public Conversation open(String jid) {
        String key = bare(jid);
        Conversation existing = conversations.get(key);
        if (existing != null) {
            return existing;
        }
        Conversation c = new Conversation(key);
        conversations.put(key, c);
        listeners.forEach(l -> l.opened(c));
        dispatch.background(() -> client.history(key, HISTORY), history -> {
            c.history(history);
            changed(c);
        }, e -> {
            c.history(List.of()); // no archive: the chat starts empty
            changed(c);
        });
        return c;
    }

    /** Closes the tab; the next message opens it again. */
    public void close(String jid) {
        conversations.remove(bare(jid));
        if (bare(jid).equals(focused)) {
            focused = null;
        }
    }

    /** The chat in front (its messages count as read), or null. */
    public void focus(String jid) {
        focused = jid == null ? null : bare(jid);
        Conversation c = focused == null ? null : conversations.get(focused);
        if (c != null && c.unread() > 0) {
            c.unread(0);
            changed(c);
        }
    }

    /** Whether the window has the keyboard focus; when it does not, every message raises a notification. */
    public void windowActive(boolean active) {
        windowActive = active;
    }

    /** Unread messages over all chats. */
    public int totalUnread() {
        return conversations.values().stream().mapToInt(Conversation::unread).sum();
    }

    /** Sends {@code text} to {@code jid}; blank text is not sent. */
    public void send(String jid, String text, Consumer<String> failed) {
        if (text == null || text.isBlank()) {
            return;
        }
        String key = bare(jid);
        Conversation c = open(key);
        ownStates.put(key, TypingState.ACTIVE); // the message itself carries <active/>
        dispatch.background(() -> client.sendMessage(key, text), id -> {
            c.add(new ChatMessage(key, client.jid(), text, Instant.now(), false, true, id));
            changed(c);
        }, e -> failed.accept("Not sent: " + Errors.describe(e)));
    }

    /**
     * Uploads a file (XEP-0363) and sends its link to {@code jid}; {@code progress} hears about the bytes sent (on
     * the UI thread). A server without upload service gets a one-line explanation instead.
     */
    public void sendFile(String jid, java.nio.file.Path file, java.util.function.LongConsumer progress,
            Consumer<String> failed) {
        String key = bare(jid);
        Conversation c = open(key);
        dispatch.background(() -> client.sendFile(key, file, (sent, total) -> dispatch.ui(() -> progress.accept(sent))),
                url -> {
                    c.add(new ChatMessage(key, client.jid(), url.toString(), Instant.now(), false, true));
                    changed(c);
                    progress.accept(-1);
                }, e -> {
                    progress.accept(-1);
                    failed.accept(org.parley.client.ui.FileSendPanel.describe(file, e));
                });
    }

    /**
     * The text in the input field changed: {@code composing} when it has text, not when it was emptied. Sends a
     * chat state only when ours changes, not per keystroke.
     */
    public void typing(String jid, boolean composing) {
        String key = bare(jid);
        TypingState state = composing ? TypingState.COMPOSING : TypingState.PAUSED;
        TypingState before = ownStates.getOrDefault(key, TypingState.ACTIVE);
        if (before == state || !composing && before == TypingState.ACTIVE) {
            return;
        }
        ownStates.put(key, state);
        dispatch.background(() -> {
            client.sendChatState(key, state);
            return null;
        }, done -> {
        }, e -> {
            // a lost typing notification is not worth a message
        });
    }

    private void received(ChatMessage message) {
        if (message.body() == null) {
            return;
        }
        String key = bare(message.conversation());
        Conversation c = open(key);
        c.add(message);
        c.partnerState(TypingState.ACTIVE);
        boolean inFront = key.equals(focused) && windowActive;
        if (!key.equals(focused)) {
            c.unread(c.unread() + 1);
        }
        if (!inFront && !message.delayed()) {
            notifier.notify(client.displayName(key), message.body());
        }
        changed(c);
    }

    private void changed(Conversation c) {
        listeners.forEach(l -> l.changed(c));
    }

    private static String bare(String jid) {
        int slash = jid.indexOf('/');
        return (slash < 0 ? jid : jid.substring(0, slash)).toLowerCase(Locale.ROOT);
    }
}
