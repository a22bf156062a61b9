package org.parley.client.ui.rooms;

import java.time.Instant;

/**
 * A line in a room's transcript: a message ({@code from} is the nickname) or a notice about the room itself
 * (someone joined or left, the subject changed; {@code from} is null).
 */
public record RoomLine(Instant time, String from, String text, boolean notice, boolean outgoing, boolean delayed) {

    static RoomLine notice(String text) {
        return new RoomLine(Instant.now(), null, text, true, false, false);
    }
}
