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

    private final java.util.Map<String, java.util.Set<String>> reactions = new java.util.HashMap<>();
    private final java.util.Set<String> edited = new java.util.HashSet<>();

    /** The partner's reactions to a message (XEP-0444), empty when none. */
    public java.util.Set<String> reactions(ChatMessage message) {
        return message.id() == null ? java.util.Set.of() : reactions.getOrDefault(message.id(), java.util.Set.of());
    }

    /** Whether the message was corrected (XEP-0308). */
    public boolean edited(ChatMessage message) {
        return message.id() != null && edited.contains(message.id());
    }

    /** Records the partner's reactions to a shown message; false when no shown message has that id. */
    boolean react(String messageId, java.util.Set<String> emojis) {
        if (messages.stream().noneMatch(m -> messageId.equals(m.id()))) {
            return false;
        }
        reactions.put(messageId, java.util.Set.copyOf(emojis));
        return true;
    }

    /** Replaces the partner's message with that id (else their last one, which XEP-0308 corrects). */
    boolean correct(String replacedId, ChatMessage correction) {
        int at = -1;
        for (int i = messages.size() - 1; i >= 0; i--) {
            ChatMessage m = messages.get(i);
            if (!m.outgoing() && (replacedId.equals(m.id()) || at < 0)) {
                at = i;
                if (replacedId.equals(m.id())) {
                    break;
                }
            }
        }
        if (at < 0) {
            return false;
        }
        ChatMessage old = messages.get(at);
        String id = old.id() != null ? old.id() : replacedId;
        messages.set(at, new ChatMessage(old.conversation(), old.from(), correction.body(), old.time(), old.delayed(),
                false, id));
        edited.add(id);
        return true;
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
