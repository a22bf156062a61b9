package org.parley.client.core;

/** 1:1 chat events. */
public interface ChatListener {
    default void messageReceived(ChatMessage message) {
    }

    /** XEP-0085: {@code state} is one of active, composing, paused, inactive, gone. */
    default void chatStateChanged(String jid, TypingState state) {
    }

    /** XEP-0444: {@code from} now reacts to our message {@code messageId} with exactly {@code emojis}. */
    default void reactionsChanged(String from, String messageId, java.util.Set<String> emojis) {
    }

    /** XEP-0308: {@code from} corrected their message {@code replacedId} to {@code correction}. */
    default void messageCorrected(String from, String replacedId, ChatMessage correction) {
    }
}
