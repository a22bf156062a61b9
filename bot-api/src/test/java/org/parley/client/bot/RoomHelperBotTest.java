package org.parley.client.bot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.parley.client.core.Clients.next;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.client.bot.examples.RoomHelperBot;
import org.parley.client.core.ChatListener;
import org.parley.client.core.ChatMessage;
import org.parley.client.core.Clients;
import org.parley.client.core.ParleyClient;
import org.parley.client.core.Room;
import org.parley.client.core.RoomListener;
import org.parley.server.testing.TestServer;

/** The example bot in the lobby of a real server, driven by real clients. */
class RoomHelperBotTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("helper", "limited", "alice", "bob", "carol");

    static Bot bot;

    @BeforeAll
    static void startBot() throws Exception {
        bot = RoomHelperBot.configure(Bot.builder()
                .server("127.0.0.1", server.server().c2sPort())
                .account("helper@localhost", TestServer.PASSWORD)
                .trustFingerprint(server.server().certificateFingerprint())
                .room("lobby"))
                .build();
        bot.start();
    }

    @AfterAll
    static void stopBot() {
        bot.close();
    }

    private static BlockingQueue<ChatMessage> listen(Room room) {
        BlockingQueue<ChatMessage> messages = Clients.queue();
        room.addListener(new RoomListener() {
            @Override
            public void messageReceived(Room r, ChatMessage message) {
                if (!message.delayed() && message.from().equals("helper")) {
                    messages.add(message);
                }
            }
        });
        return messages;
    }

    @Test
    void greetsNewcomersAndAnswersHelpWhoTimeAndMentions() throws Exception {
        ParleyClient alice = Clients.login(server, "alice");
        try {
            Room lobby = alice.join("lobby", "alice", null, 0);
            BlockingQueue<ChatMessage> fromBot = listen(lobby);
            ChatMessage greeting = next(fromBot, m -> m.body().contains("alice"), "a greeting");
            assertTrue(greeting.body().startsWith("Welcome, alice!"), greeting.body());

            lobby.send("!help");
            ChatMessage help = next(fromBot, m -> m.body().startsWith("alice: commands:"), "!help");
            assertTrue(help.body().contains("!who") && help.body().contains("!time") && help.body().contains("!help"), help.body());

            lobby.send("!who");
            ChatMessage who = next(fromBot, m -> m.body().startsWith("alice: here:"), "!who");
            assertTrue(who.body().contains("alice") && who.body().contains("helper"), who.body());

            lobby.send("!time");
            next(fromBot, m -> m.body().startsWith("alice: ") && m.body().matches(".*\\d\\d:\\d\\d:\\d\\d.*"), "!time");

            lobby.send("hey @helper who");
            next(fromBot, m -> m.body().startsWith("alice: here:"), "a mention with a command");
            lobby.send("helper: what's up?");
            next(fromBot, m -> m.body().startsWith("alice: I don't know 'what's'"), "a mention without a command");
            lobby.send("!nonsense"); // not addressed: ignored (other bots may know it)
            lobby.send("!time");
            ChatMessage after = next(fromBot, m -> true, "the next reply");
            assertTrue(after.body().matches("alice: .*\\d\\d:\\d\\d:\\d\\d.*"), "unknown !command ignored: " + after.body());
        } finally {
            alice.close();
        }
    }

    @Test
    void answersInOneToOneChats() throws Exception {
        ParleyClient bob = Clients.login(server, "bob");
        BlockingQueue<ChatMessage> replies = Clients.queue();
        bob.addChatListener(new ChatListener() {
            @Override
            public void messageReceived(ChatMessage message) {
                replies.add(message);
            }
        });
        try {
            bob.sendMessage("helper@localhost", "!help");
            assertTrue(next(replies, m -> true, "help in 1:1").body().startsWith("commands:"));
            bob.sendMessage("helper@localhost", "who");
            assertEquals("ask me in a room", next(replies, m -> true, "who in 1:1").body());
            bob.sendMessage("helper@localhost", "dance");
            assertEquals("I don't know 'dance'. Try !help", next(replies, m -> true, "unknown in 1:1").body());
        } finally {
            bob.close();
        }
    }

    @Test
    void rateLimitsItsOwnOutput() throws Exception {
        // Burst of 2, never refilled, one may wait: of five commands two are answered, one waits, two are dropped.
        Bot limited = Bot.builder()
                .server("127.0.0.1", server.server().c2sPort())
                .account("limited@localhost", TestServer.PASSWORD)
                .trustFingerprint(server.server().certificateFingerprint())
                .command("ping", ctx -> ctx.reply("pong"))
                .rateLimit(2, Duration.ZERO, 1)
                .build();
        limited.start();
        ParleyClient carol = Clients.login(server, "carol");
        BlockingQueue<ChatMessage> replies = Clients.queue();
        carol.addChatListener(new ChatListener() {
            @Override
            public void messageReceived(ChatMessage message) {
                replies.add(message);
            }
        });
        try {
            for (int i = 0; i < 5; i++) {
                carol.sendMessage("limited@localhost", "ping");
            }
            next(replies, m -> m.body().equals("pong"), "first pong");
            next(replies, m -> m.body().equals("pong"), "second pong");
            // The bot handles commands in order on one thread; the last one reaching the limiter completes the picture.
            assertTrue(limited.limiter().awaitDropped(2, Clients.TIMEOUT), "two replies dropped");
            assertEquals(2, limited.limiter().dropped());
            assertEquals(1, limited.limiter().queued());
            assertEquals(2, limited.limiter().sent());
        } finally {
            carol.close();
            limited.close();
        }
    }
}
