package org.parley.client.core;

import org.jivesoftware.smackx.chatstates.ChatState;

/** Chat states (XEP-0085). */
public enum TypingState {
    ACTIVE, COMPOSING, PAUSED, INACTIVE, GONE;

    ChatState smack() {
        return ChatState.valueOf(name().toLowerCase(java.util.Locale.ROOT));
    }

    static TypingState of(ChatState state) {
        return valueOf(state.name().toUpperCase(java.util.Locale.ROOT));
    }
}
