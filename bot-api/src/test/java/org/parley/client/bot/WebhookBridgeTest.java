package org.parley.client.bot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.parley.client.core.Clients.next;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.client.bot.examples.WebhookBridge;
import org.parley.client.core.ChatMessage;
import org.parley.client.core.Clients;
import org.parley.client.core.ParleyClient;
import org.parley.client.core.Room;
import org.parley.client.core.RoomListener;
import org.parley.server.testing.TestServer;

/**
 * The incoming-webhook bridge against a real server: an HTTP POST with the shared secret becomes a message in
 * the lobby that another (Smack) client sees; a wrong or missing secret, another method, an oversized or
 * non-UTF-8 body are refused with their status and never reach the room.
 */
class WebhookBridgeTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("hook", "alice");

    private static final String SECRET = "correct horse battery staple";

    @Test
    void postsWithTheSecretArriveInTheRoomAndEverythingElseIsRefused() throws Exception {
        Bot bot = Bot.builder()
                .server("127.0.0.1", server.server().c2sPort())
                .account("hook@localhost", TestServer.PASSWORD)
                .trustFingerprint(server.server().certificateFingerprint())
                .build();
        ParleyClient alice = Clients.login(server, "alice");
        try {
            bot.start();
            Room room = bot.joinRoom("lobby", null);
            Room lobby = alice.join("lobby", "alice", null, 0);
            BlockingQueue<ChatMessage> fromHook = Clients.queue();
            lobby.addListener(new RoomListener() {
                @Override
                public void messageReceived(Room r, ChatMessage message) {
                    if (message.from().equals("hook")) {
                        fromHook.add(message);
                    }
                }
            });
            try (WebhookBridge bridge = WebhookBridge.start(bot, room, new InetSocketAddress("127.0.0.1", 0), "/hook",
                    SECRET, 64)) {
                URI hook = URI.create("http://127.0.0.1:" + bridge.port() + "/hook");
                HttpClient http = HttpClient.newHttpClient();

                HttpResponse<String> ok = http.send(post(hook, "Bearer " + SECRET, "Build 42 passed ✓".getBytes(
                        StandardCharsets.UTF_8)), HttpResponse.BodyHandlers.ofString());
                assertEquals(202, ok.statusCode(), ok.body());
                assertEquals("Build 42 passed ✓", next(fromHook, m -> true, "the webhook's message").body());

                assertEquals(401, status(http, post(hook, "Bearer wrong", bytes("intruder"))));
                assertEquals(401, status(http, post(hook, null, bytes("no secret"))));
                assertEquals(401, status(http, post(hook, SECRET, bytes("not a bearer token"))));
                assertEquals(405, status(http, HttpRequest.newBuilder(hook).header("Authorization", "Bearer " + SECRET)
                        .GET().build()));
                assertEquals(413, status(http, post(hook, "Bearer " + SECRET, new byte[65])), "over the 64-byte limit");
                assertEquals(400, status(http, post(hook, "Bearer " + SECRET, new byte[] {(byte) 0xC3, (byte) 0x28})),
                        "not UTF-8");
                assertEquals(400, status(http, post(hook, "Bearer " + SECRET, bytes("   "))), "empty");
                assertEquals(404, status(http, post(URI.create(hook + "/more"), "Bearer " + SECRET, bytes("x"))));

                assertEquals(202, status(http, post(hook, "Bearer " + SECRET, bytes("deploy done"))));
                assertEquals("deploy done", next(fromHook, m -> true, "the second message").body(),
                        "nothing refused reached the room in between");
            }
        } finally {
            alice.close();
            bot.close();
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static HttpRequest post(URI uri, String authorization, byte[] body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .header("Content-Type", "text/plain; charset=utf-8");
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return request.build();
    }

    private static int status(HttpClient http, HttpRequest request) throws Exception {
        return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
