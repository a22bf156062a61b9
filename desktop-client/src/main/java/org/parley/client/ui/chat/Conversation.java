package org.parley.client.ui.chat;

import java.util.ArrayList;
import java.util.List;

import org.parley.client.core.ChatMessage;
import org.parley.client.core.TypingState;

/** One 1:1 chat as shown in a tab: its messages (history first), the partner's typing state, unread count. */
public final class Conversation {

    private final String jid;
    private final List<ChatMessage> messages = new ArrayList<>();
    private TypingState partnerState = TypingState.ACTIVE;
    private int unread;
    private boolean historyLoaded;

    Conversation(String jid) {
        this.jid = jid;
    }

    /** The partner's bare address. */
    public String jid() {
        return jid;
    }

    public List<ChatMessage> messages() {
        return List.copyOf(messages);
    }

    /** What the partner is doing (XEP-0085). */
    public TypingState partnerState() {
        return partnerState;
    }

    /** "bob is typing…" while the partner composes, "" otherwise. */
    public String typingNotice() {
        return switch (partnerState) {
            case COMPOSING -> jid + " is typing…";
            case PAUSED -> jid + " stopped typing";
            default -> "";
        };
    }

    /** Messages that arrived while the chat was not in front. */
    public int unread() {
        return unread;
    }

    public boolean historyLoaded() {
        return historyLoaded;
    }

    void add(ChatMessage message) {
        messages.add(message);
    }

    void partnerState(TypingState state) {
        partnerState = state;
    }

    void unread(int count) {
        unread = count;
    }

    /**
     * Puts the archive's messages before those that arrived live meanwhile, leaving out live ones the archive
     * already has (same sender, direction and text).
     */
    void history(List<ChatMessage> history) {
        List<ChatMessage> live = new ArrayList<>(messages);
        messages.clear();
        messages.addAll(history);
        for (ChatMessage m : live) {
            boolean archived = history.stream().anyMatch(h -> h.body().equals(m.body()) && h.outgoing() == m.outgoing());
            if (!archived) {
                messages.add(m);
            }
        }
        historyLoaded = true;
    }
}
