package org.parley.client.core;

/** 1:1 chat events. */
public interface ChatListener {
    default void messageReceived(ChatMessage message) {
    }

    /** XEP-0085: {@code state} is one of active, composing, paused, inactive, gone. */
    default void chatStateChanged(String jid, TypingState state) {
    }
}
