package org.parley.client.ui.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.parley.client.core.Clients.next;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.client.core.ChatListener;
import org.parley.client.core.ChatMessage;
import org.parley.client.core.Clients;
import org.parley.client.core.ParleyClient;
import org.parley.client.core.TypingState;
import org.parley.client.ui.RecordingNotifier;
import org.parley.client.ui.TestUi;
import org.parley.server.testing.TestServer;

/** 1:1 chats in tabs: unread counts, notifications, typing states (XEP-0085), history (XEP-0313). */
class ChatsModelTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("alice", "bob");

    @Test
    void incomingMessagesOpenAChatCountAsUnreadNotifyAndShowTypingAndHistory() throws Exception {
        try (TestUi ui = new TestUi()) {
            ParleyClient alice = Clients.login(server, "alice");
            ParleyClient bob = Clients.login(server, "bob");
            BlockingQueue<Object> bobEvents = Clients.queue();
            bob.addChatListener(new ChatListener() {
                @Override
                public void messageReceived(ChatMessage message) {
                    bobEvents.add(message.body());
                }

                @Override
                public void chatStateChanged(String jid, TypingState state) {
                    bobEvents.add(state);
                }
            });
            try {
                RecordingNotifier notifier = new RecordingNotifier();
                ChatsModel chats = ui.get(() -> new ChatsModel(alice, ui.dispatch(), notifier));
                List<String> errors = new java.util.concurrent.CopyOnWriteArrayList<>();

                bob.sendMessage("alice@localhost", "hi alice");
                ui.until(() -> chats.conversation("bob@localhost") != null
                        && chats.conversation("bob@localhost").messages().stream().anyMatch(m -> m.body().equals("hi alice")),
                        "the message opens a chat");
                assertEquals(1, ui.get(() -> chats.conversation("bob@localhost").unread()), "unread: not in front");
                assertEquals(1, ui.get(chats::totalUnread));
                assertEquals("bob|hi alice", notifier.shown.poll(Clients.TIMEOUT.toSeconds(), TimeUnit.SECONDS));
                ui.run(() -> chats.focus("bob@localhost"));
                assertEquals(0, ui.get(() -> chats.conversation("bob@localhost").unread()), "read once in front");

                // XEP-0085 both ways: the partner's state is shown; ours is sent on changes only.
                bob.sendChatState("alice@localhost", TypingState.COMPOSING);
                ui.until(() -> chats.conversation("bob@localhost").typingNotice().equals("bob@localhost is typing…"),
                        "bob's typing shown");
                ui.run(() -> chats.typing("bob@localhost", true));
                assertEquals(TypingState.COMPOSING, next(bobEvents, e -> e instanceof TypingState, "alice composing"));
                ui.run(() -> chats.typing("bob@localhost", true)); // the next keystroke: nothing new to say
                ui.run(() -> chats.typing("bob@localhost", false));
                assertEquals(TypingState.PAUSED, next(bobEvents, e -> e instanceof TypingState, "alice paused"));

                ui.run(() -> chats.send("bob@localhost", "hello bob", errors::add));
                assertEquals("hello bob", next(bobEvents, e -> e instanceof String, "bob gets it"));
                ui.until(() -> chats.conversation("bob@localhost").messages().stream()
                        .anyMatch(m -> m.outgoing() && m.body().equals("hello bob")), "our message shown");
                ui.run(() -> chats.send("bob@localhost", "   ", errors::add));

                // With the chat in front and the window focused, nothing is counted or notified.
                bob.sendMessage("alice@localhost", "second");
                ui.until(() -> chats.conversation("bob@localhost").messages().stream()
                        .anyMatch(m -> m.body().equals("second")), "second message");
                assertEquals(0, ui.get(() -> chats.conversation("bob@localhost").unread()));
                assertEquals("", ui.get(() -> chats.conversation("bob@localhost").typingNotice()), "a message ends typing");
                assertNull(notifier.shown.poll(), "no notification for the chat in front");
                // The window in the background: notified, but not unread (the chat is the selected tab).
                ui.run(() -> chats.windowActive(false));
                bob.sendMessage("alice@localhost", "third");
                assertEquals("bob|third", notifier.shown.poll(Clients.TIMEOUT.toSeconds(), TimeUnit.SECONDS));

                // A chat opened again (e.g. after closing its tab) starts with the archive, in order, once.
                ui.run(() -> chats.close("bob@localhost"));
                ui.run(() -> chats.open("bob@localhost"));
                ui.until(() -> chats.conversation("bob@localhost").historyLoaded(), "history loaded");
                assertEquals(List.of("hi alice", "hello bob", "second", "third"), ui.get(() -> chats
                        .conversation("bob@localhost").messages().stream().map(ChatMessage::body).toList()));
                assertTrue(ui.get(() -> chats.conversation("bob@localhost").messages().get(1).outgoing()));
                assertFalse(ui.get(() -> chats.conversation("bob@localhost").messages().get(0).outgoing()));
                assertEquals(List.of(), errors);
                assertNull(bobEvents.poll(0, TimeUnit.SECONDS) instanceof String s ? s : null, "the blank message was not sent");
            } finally {
                alice.close();
                bob.close();
            }
        }
    }
}
