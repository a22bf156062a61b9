package org.parley.client.bot;

import org.parley.client.core.Room;

/** Someone joined a room: {@link #say} greets them in that room (rate-limited like every reply). */
public final class JoinContext {

    private final Bot bot;
    private final Room room;
    private final String nick;

    JoinContext(Bot bot, Room room, String nick) {
        this.bot = bot;
        this.room = room;
        this.nick = nick;
    }

    /** The nickname of who joined. */
    public String nick() {
        return nick;
    }

    public Room room() {
        return room;
    }

    public Bot bot() {
        return bot;
    }

    /** Sends {@code text} to the room. */
    public void say(String text) {
        bot.sendToRoom(room, text);
    }
}
