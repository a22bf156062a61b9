package org.parley.client.core;

/** Events of one joined {@link Room}; callbacks come on Smack's threads. */
public interface RoomListener {
    default void messageReceived(Room room, ChatMessage message) {
    }

    default void occupantJoined(Room room, String nick) {
    }

    default void occupantLeft(Room room, String nick) {
    }

    default void subjectChanged(Room room, String subject, String by) {
    }

    /**
     * XEP-0444: {@code nick} now reacts to the message with id {@code messageId} (the room's stanza-id, see
     * {@link ChatMessage#id()}) with exactly {@code emojis} (empty: took them back).
     */
    default void reactionsChanged(Room room, String nick, String messageId, java.util.Set<String> emojis) {
    }

    /**
     * XEP-0308: {@code nick} corrected an earlier message of theirs ({@code replacedId} is the id they gave it) to
     * {@code correction}.
     */
    default void messageCorrected(Room room, String nick, String replacedId, ChatMessage correction) {
    }
}
