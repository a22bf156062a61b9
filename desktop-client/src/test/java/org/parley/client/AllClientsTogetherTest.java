package org.parley.client;

import static org.parley.client.core.Clients.next;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.parley.client.bot.Bot;
import org.parley.client.bot.examples.RoomHelperBot;
import org.parley.client.core.ChatListener;
import org.parley.client.core.ChatMessage;
import org.parley.client.core.Clients;
import org.parley.client.core.ParleyClient;
import org.parley.client.core.Room;
import org.parley.client.core.RoomListener;
import org.parley.client.core.RosterListener;
import org.parley.gateway.browser.BrowserExtension;
import org.parley.gateway.page.PageUser;
import org.parley.gateway.testing.TestGateway;
import org.parley.server.testing.TestServer;

/**
 * The three kinds of Parley client at once, on one real server with its web gateway: the desktop client's core
 * (the layer the Swing UI drives, over TCP), the example bot (over TCP) and a person on the browser chat page
 * (headless Chromium, over WebSocket). They talk in the lobby (XEP-0045), the bot answers the browser user's
 * command, and the desktop and browser users become friends (RFC 6121 §3) and chat 1:1.
 */
class AllClientsTogetherTest {

    private static final String LOBBY = "lobby";
    private static final String WEB_PASSWORD = "web-password-1";

    @RegisterExtension
    static final TestGateway gateway = TestGateway.withUsers("desk", "helper");

    @RegisterExtension
    static final BrowserExtension browsers = new BrowserExtension(Duration.ofSeconds(40));

    private static Bot bot;
    private static ParleyClient desk;

    @AfterAll
    static void stop() {
        if (desk != null) {
            desk.close();
        }
        if (bot != null) {
            bot.close();
        }
    }

    @Test
    void desktopBotAndBrowserShareTheLobbyAndDesktopAndBrowserChatAsFriends() throws Exception {
        TestServer server = gateway.server();
        bot = RoomHelperBot.configure(Bot.builder()
                .server("127.0.0.1", server.server().c2sPort())
                .account("helper@" + TestServer.DOMAIN, TestServer.PASSWORD)
                .trustFingerprint(server.server().certificateFingerprint())
                .room(LOBBY))
                .build();
        bot.start();

        desk = Clients.client(server, "desk");
        BlockingQueue<String> requests = Clients.queue();
        desk.addRosterListener(new RosterListener() {
            @Override
            public void subscriptionRequested(String jid) {
                requests.add(jid);
            }
        });
        BlockingQueue<ChatMessage> deskChats = Clients.queue();
        desk.addChatListener(new ChatListener() {
            @Override
            public void messageReceived(ChatMessage message) {
                deskChats.add(message);
            }
        });
        desk.login(TestServer.PASSWORD);
        Room lobby = desk.join(LOBBY, "desk", null, 0);
        BlockingQueue<ChatMessage> deskHears = Clients.queue();
        lobby.addListener(new RoomListener() {
            @Override
            public void messageReceived(Room room, ChatMessage message) {
                if (!message.delayed()) {
                    deskHears.add(message);
                }
            }
        });

        // A new person signs up on the page and lands in the lobby with the desktop user and the bot.
        PageUser web = new PageUser(browsers.open("web"), "web", gateway.httpUri("/").toString());
        web.enter(WEB_PASSWORD, true);
        web.awaitMember(LOBBY, "desk");
        web.awaitMember(LOBBY, "helper");
        web.awaitMessage("helper", "Welcome, web! Type !help to see what I can do.");

        web.say("hello from the browser");
        next(deskHears, m -> m.from().equals("web") && m.body().equals("hello from the browser"), "the browser's message");
        lobby.send("hello from the desktop");
        web.awaitMessage("desk", "hello from the desktop");
        web.say("!who");
        web.awaitMessage("helper", "web: here: desk, helper, web");
        next(deskHears, m -> m.from().equals("helper") && m.body().startsWith("web: here:"), "the bot's answer");
        web.browser.screenshot("lobby");

        // Friends: the browser user asks, the desktop user accepts (and asks back, which the page accepts).
        web.browser.visible(By.id("friend-name")).sendKeys("desk");
        web.browser.clickable(By.id("add-friend")).click();
        String asking = next(requests, jid -> jid.startsWith("web@"), "the friend request on the desktop");
        desk.acceptSubscription(asking);
        web.browser.waitUntil("desk is a friend and online", d -> {
            if (!d.findElements(By.cssSelector("#requests li[data-jid='desk@localhost'] button.accept")).isEmpty()) {
                d.findElement(By.cssSelector("#requests li[data-jid='desk@localhost'] button.accept")).click();
                return false;
            }
            return !d.findElements(By.cssSelector("#friends li[data-jid='desk@localhost'][data-show='available']"))
                    .isEmpty();
        });

        web.browser.click(By.cssSelector("#friends li[data-jid='desk@localhost'] button"));
        web.say("a word in private");
        ChatMessage direct = next(deskChats, m -> m.body().equals("a word in private"), "the 1:1 message on the desktop");
        desk.sendMessage(direct.conversation(), "private answer from the desktop");
        web.awaitMessage("desk", "private answer from the desktop");
        web.browser.screenshot("one-to-one");
    }
}
