package org.parley.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.parley.client.core.Clients.next;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.BlockingQueue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.bot.Bot;
import org.parley.client.core.ChatMessage;
import org.parley.client.core.Clients;
import org.parley.client.core.ParleyClient;
import org.parley.client.core.Room;
import org.parley.client.core.RoomListener;
import org.parley.gateway.testing.TestGateway;
import org.parley.server.testing.TestServer;

/**
 * A bot sends a file into a room through the server's HTTP File Upload service (XEP-0363, found by service
 * discovery): another client gets the link in the room and downloads exactly the bytes that were sent. The same
 * path the desktop client's "Send file…" takes.
 */
class BotSendsFilesTest {

    @RegisterExtension
    static final TestGateway gateway = TestGateway.withUsers("filebot", "alice");

    @TempDir
    Path temp;

    @Test
    void aFileSentToARoomArrivesAsALinkToTheSameBytes_xep0363() throws Exception {
        TestServer server = gateway.server();
        Bot bot = Bot.builder()
                .server("127.0.0.1", server.server().c2sPort())
                .account("filebot@localhost", TestServer.PASSWORD)
                .trustFingerprint(server.server().certificateFingerprint())
                .build();
        ParleyClient alice = Clients.login(server, "alice");
        try {
            bot.start();
            Room botRoom = bot.joinRoom("lobby", null);
            Room lobby = alice.join("lobby", "alice", null, 0);
            BlockingQueue<ChatMessage> fromBot = Clients.queue();
            lobby.addListener(new RoomListener() {
                @Override
                public void messageReceived(Room room, ChatMessage message) {
                    if (message.from().equals("filebot")) {
                        fromBot.add(message);
                    }
                }
            });
            assertTrue(bot.client().canUploadFiles(), "the server offers HTTP File Upload");
            byte[] content = new byte[150_000];
            new Random(7).nextBytes(content);
            Path file = Files.write(temp.resolve("report 1.png"), content);

            URL url = bot.sendFile(botRoom.jid(), file);
            ChatMessage link = next(fromBot, m -> true, "the link in the room");
            assertEquals(url.toString(), link.body());
            HttpResponse<byte[]> download = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(link.body())).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, download.statusCode());
            assertArrayEquals(content, download.body(), "the same bytes");
        } finally {
            alice.close();
            bot.close();
        }
    }
}
