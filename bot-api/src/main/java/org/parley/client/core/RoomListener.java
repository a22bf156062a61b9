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
}
