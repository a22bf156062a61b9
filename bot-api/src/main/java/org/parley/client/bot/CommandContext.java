package org.parley.client.bot;

import java.util.Arrays;
import java.util.List;

import org.parley.client.core.Room;

/** One command invocation: who asked, where, with which arguments; {@link #reply} answers in the same place. */
public final class CommandContext {

    private final Bot bot;
    private final String command;
    private final String arguments;
    private final String sender;
    private final Room room;
    private final String text;
    private final String messageId;

    CommandContext(Bot bot, String command, String arguments, String sender, Room room, String text, String messageId) {
        this.bot = bot;
        this.command = command;
        this.arguments = arguments;
        this.sender = sender;
        this.room = room;
        this.text = text;
        this.messageId = messageId;
    }

    /** The whole message (without the prefix or the mention of the bot). */
    public String text() {
        return text;
    }

    /** The id of the message (for reactions), or null when it has none. */
    public String messageId() {
        return messageId;
    }

    /** Reacts to the message with an emoji (XEP-0444); nothing happens when the message has no id. */
    public void react(String emoji) {
        if (messageId != null) {
            bot.react(room != null ? room.jid() : sender, messageId, emoji);
        }
    }

    /**
     * Uploads a file (XEP-0363) and sends it where the command came from. Blocks until uploaded; throws
     * {@link UnsupportedOperationException} when the server offers no upload.
     */
    public java.net.URL replyWithFile(java.nio.file.Path file) throws Exception {
        return bot.sendFile(room != null ? room.jid() : sender, file);
    }

    /** The command name without prefix, lower case ({@code help} for {@code !help}). */
    public String command() {
        return command;
    }

    /** Everything after the command name, trimmed ("" when nothing). */
    public String arguments() {
        return arguments;
    }

    /** The arguments split on whitespace. */
    public List<String> args() {
        return arguments.isEmpty() ? List.of() : Arrays.asList(arguments.split("\\s+"));
    }

    /** The nickname in a room, the bare address in a 1:1 chat. */
    public String sender() {
        return sender;
    }

    /** True when the command came from a room. */
    public boolean inRoom() {
        return room != null;
    }

    /** The room the command came from, or null in a 1:1 chat. */
    public Room room() {
        return room;
    }

    public Bot bot() {
        return bot;
    }

    /**
     * Answers where the command came from: in a room, to the room prefixed with the sender's nick; in a 1:1
     * chat, to the sender. Goes through the bot's rate limit.
     */
    public void reply(String text) {
        if (room != null) {
            bot.sendToRoom(room, sender + ": " + text);
        } else {
            bot.sendTo(sender, text);
        }
    }
}
