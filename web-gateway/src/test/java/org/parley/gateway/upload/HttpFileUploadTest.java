package org.parley.gateway.upload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;

import org.jivesoftware.smack.StanzaCollector;
import org.jivesoftware.smack.c2s.ModularXmppClientToServerConnection;
import org.jivesoftware.smack.filter.MessageTypeFilter;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.httpfileupload.HttpFileUploadManager;
import org.jivesoftware.smackx.httpfileupload.element.Slot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.parley.gateway.testing.TestGateway;
import org.parley.server.config.ServerSettings;

/**
 * XEP-0363 end to end: slots from upload.localhost through Smack's HttpFileUploadManager, PUT and GET over
 * real HTTP(S) to the web gateway, and every way a PUT can be wrong, as raw HTTP.
 */
class HttpFileUploadTest {

    private static final long MAX = 1024 * 1024;

    @RegisterExtension
    static final TestGateway gateway = TestGateway.withSettings(s -> s
            .withHttp(new ServerSettings.Http("127.0.0.1", 0, 0, ServerSettings.Http.DEFAULT_ORIGINS,
                    ServerSettings.Bosh.DEFAULTS))
            .withUpload(new ServerSettings.Upload(true, "upload", MAX, 8 * MAX, Duration.ofMinutes(5), Duration.ZERO,
                    null)), "alice", "bob", "carol");

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    @TempDir
    Path temp;

    @Test
    void aSmackClientUploadsAndAnotherUserDownloadsTheSharedUrl_xep0363_4_6() throws Exception {
        byte[] content = random(200_000);
        Path file = Files.write(temp.resolve("holiday photo.bin"), content);
        XMPPTCPConnection alice = gateway.server().login("alice");
        ModularXmppClientToServerConnection bob = gateway.webSocketLogin("bob");
        try {
            HttpFileUploadManager manager = HttpFileUploadManager.getInstanceFor(alice);
            assertTrue(manager.discoverUploadService(), "upload.localhost is found through the server's disco#items");
            assertEquals(MAX, manager.getDefaultUploadService().getMaxFileSize(), "max-file-size from disco#info");
            URL url = manager.uploadFile(file.toFile());
            assertTrue(url.toString().startsWith("http://localhost:" + gateway.gateway().httpPort() + "/upload/"), url.toString());
            assertTrue(url.toString().endsWith("/holiday%20photo.bin"), url.toString());

            StanzaCollector inbox = bob.createStanzaCollector(MessageTypeFilter.CHAT);
            alice.sendStanza(alice.getStanzaFactory().buildMessageStanza().to(bob.getUser()) // bob sent no presence: to his full JID
                    .ofType(Message.Type.chat).setBody(url.toString()).build());
            Message shared = inbox.nextResult(10_000);
            inbox.cancel();
            assertNotNull(shared, "bob receives the link");

            HttpResponse<byte[]> got = http.send(HttpRequest.newBuilder(URI.create(shared.getBody())).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, got.statusCode());
            assertArrayEquals(content, got.body());
            assertEquals("application/octet-stream", got.headers().firstValue("Content-Type").orElse(null));
            assertTrue(got.headers().firstValue("Content-Disposition").orElse("").startsWith("attachment;"));
            assertEquals("nosniff", got.headers().firstValue("X-Content-Type-Options").orElse(null));
            assertTrue(got.headers().firstValue("Content-Security-Policy").orElse("").contains("sandbox"));
            assertTrue(got.headers().firstValue("Cache-Control").orElse("").contains("immutable"));

            String etag = got.headers().firstValue("ETag").orElseThrow();
            assertEquals(304, http.send(HttpRequest.newBuilder(URI.create(shared.getBody())).header("If-None-Match", etag)
                    .build(), HttpResponse.BodyHandlers.discarding()).statusCode());
        } finally {
            alice.disconnect();
            bob.disconnect();
        }
    }

    @Test
    void htmlSvgAndXmlAreDownloadsWhileImagesAudioVideoAndTextShowInline() throws Exception {
        String[][] cases = {
            {"page.html", "text/html", "attachment"},
            {"drawing.svg", "image/svg+xml", "attachment"},
            {"data.xml", "application/xml", "attachment"},
            {"script.js", "text/javascript", "attachment"},
            {"photo.png", "image/png", "inline"},
            {"voice.ogg", "audio/ogg", "inline"},
            {"clip.mp4", "video/mp4", "inline"},
            {"notes.txt", "text/plain; charset=utf-8", "inline"},
        };
        XMPPTCPConnection alice = gateway.server().login("alice");
        try {
            HttpFileUploadManager manager = HttpFileUploadManager.getInstanceFor(alice);
            manager.discoverUploadService();
            for (String[] c : cases) {
                byte[] content = "<html><script>alert(1)</script></html>".getBytes(StandardCharsets.UTF_8);
                Slot slot = manager.requestSlot(c[0], content.length, c[1]);
                assertEquals(201, put(slot.getPutUrl(), c[1], content).statusCode(), c[0]);
                HttpResponse<byte[]> got = get(slot.getGetUrl());
                assertEquals(c[1], got.headers().firstValue("Content-Type").orElse(null), c[0]);
                assertTrue(got.headers().firstValue("Content-Disposition").orElse("").startsWith(c[2] + ";"),
                        c[0] + ": " + got.headers().firstValue("Content-Disposition"));
                assertEquals("nosniff", got.headers().firstValue("X-Content-Type-Options").orElse(null), c[0]);
            }
        } finally {
            alice.disconnect();
        }
    }

    @Test
    void headAndByteRangesForPlayersAndResumedDownloads_rfc9110_14() throws Exception {
        XMPPTCPConnection alice = gateway.server().login("alice");
        try {
            HttpFileUploadManager manager = HttpFileUploadManager.getInstanceFor(alice);
            manager.discoverUploadService();
            byte[] content = random(10_000);
            Slot slot = manager.requestSlot("clip.webm", content.length, "video/webm");
            assertEquals(201, put(slot.getPutUrl(), "video/webm", content).statusCode());
            URI url = slot.getGetUrl().toURI();

            HttpResponse<byte[]> head = http.send(HttpRequest.newBuilder(url)
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, head.statusCode());
            assertEquals("10000", head.headers().firstValue("Content-Length").orElse(null));
            assertEquals(0, head.body().length);

            HttpResponse<byte[]> middle = http.send(HttpRequest.newBuilder(url).header("Range", "bytes=100-199").build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(206, middle.statusCode());
            assertEquals("bytes 100-199/10000", middle.headers().firstValue("Content-Range").orElse(null));
            assertArrayEquals(java.util.Arrays.copyOfRange(content, 100, 200), middle.body());

            HttpResponse<byte[]> tail = http.send(HttpRequest.newBuilder(url).header("Range", "bytes=-10").build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(206, tail.statusCode());
            assertArrayEquals(java.util.Arrays.copyOfRange(content, 9990, 10000), tail.body());

            HttpResponse<byte[]> open = http.send(HttpRequest.newBuilder(url).header("Range", "bytes=9000-").build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertArrayEquals(java.util.Arrays.copyOfRange(content, 9000, 10000), open.body());

            HttpResponse<byte[]> beyond = http.send(HttpRequest.newBuilder(url).header("Range", "bytes=10000-").build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(416, beyond.statusCode());
            assertEquals("bytes */10000", beyond.headers().firstValue("Content-Range").orElse(null));
        } finally {
            alice.disconnect();
        }
    }

    @Test
    void browsersMayUploadAndDownloadFromOtherOrigins_xep0363_11() throws Exception {
        URI any = gateway.httpUri("/upload/AAAAAAAAAAAAAAAAAAAAAA/x.png");
        HttpResponse<Void> preflight = http.send(HttpRequest.newBuilder(any)
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://webchat.example.net")
                .header("Access-Control-Request-Method", "PUT")
                .header("Access-Control-Request-Headers", "content-type").build(), HttpResponse.BodyHandlers.discarding());
        assertEquals(2, preflight.statusCode() / 100, "preflight status " + preflight.statusCode());
        assertAllowed(preflight);
        String methods = preflight.headers().firstValue("Access-Control-Allow-Methods").orElse("");
        assertTrue(methods.contains("PUT") && methods.contains("GET"), methods);
        assertTrue(preflight.headers().firstValue("Access-Control-Allow-Headers").orElse("").toLowerCase()
                .contains("content-type"), preflight.headers().map().toString());

        XMPPTCPConnection alice = gateway.server().login("alice");
        try {
            HttpFileUploadManager manager = HttpFileUploadManager.getInstanceFor(alice);
            manager.discoverUploadService();
            Slot slot = manager.requestSlot("cors.txt", 2, "text/plain");
            HttpResponse<Void> put = http.send(HttpRequest.newBuilder(slot.getPutUrl().toURI())
                    .header("Origin", "https://webchat.example.net").header("Content-Type", "text/plain")
                    .PUT(HttpRequest.BodyPublishers.ofString("hi")).build(), HttpResponse.BodyHandlers.discarding());
            assertEquals(201, put.statusCode());
            assertAllowed(put);
            HttpResponse<String> got = http.send(HttpRequest.newBuilder(slot.getGetUrl().toURI())
                    .header("Origin", "https://webchat.example.net").build(), HttpResponse.BodyHandlers.ofString());
            assertEquals("hi", got.body());
            assertAllowed(got);
        } finally {
            alice.disconnect();
        }
        // BOSH keeps its own origin policy: the upload path's CORS does not leak onto it.
        HttpResponse<Void> bosh = http.send(HttpRequest.newBuilder(gateway.httpUri("/http-bind"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", "https://webchat.example.net")
                .header("Access-Control-Request-Method", "POST").build(), HttpResponse.BodyHandlers.discarding());
        assertEquals(403, bosh.statusCode());
    }

    @Test
    void wrongPutsAreRefusedAndLeaveTheSlotUnused_xep0363_6() throws Exception {
        XMPPTCPConnection alice = gateway.server().login("alice");
        try {
            HttpFileUploadManager manager = HttpFileUploadManager.getInstanceFor(alice);
            manager.discoverUploadService();
            Slot slot = manager.requestSlot("exact.txt", 5, "text/plain");
            URL put = slot.getPutUrl();

            assertTrue(rawPut(put, "text/plain", 4, "abcd".getBytes()).startsWith("HTTP/1.1 400"));
            assertTrue(rawPut(put, "text/plain", 6, "abcdef".getBytes()).startsWith("HTTP/1.1 413"));
            assertTrue(rawPut(put, "text/html", 5, "abcde".getBytes()).startsWith("HTTP/1.1 415"));
            String chunked = "PUT " + put.getFile() + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n"
                    + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nabcde\r\n0\r\n\r\n";
            assertTrue(raw(put.getPort(), chunked.getBytes(StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 411"),
                    "the size must be announced");
            URL forged = new URL(put.toString().replace("exact.txt", "other.txt"));
            assertTrue(rawPut(forged, "text/plain", 5, "abcde".getBytes()).startsWith("HTTP/1.1 403"));
            assertEquals(404, get(slot.getGetUrl()).statusCode(), "nothing is stored by a refused PUT");

            assertEquals(201, put(put, "text/plain", "abcde".getBytes()).statusCode());
            assertEquals(409, put(put, "text/plain", "vwxyz".getBytes()).statusCode(), "a slot is used once");
            assertEquals("abcde", new String(get(slot.getGetUrl()).body(), StandardCharsets.UTF_8));
        } finally {
            alice.disconnect();
        }
    }

    @Test
    void anInterruptedUploadLeavesNothingVisibleAndMayBeRetried() throws Exception {
        XMPPTCPConnection alice = gateway.server().login("alice");
        try {
            HttpFileUploadManager manager = HttpFileUploadManager.getInstanceFor(alice);
            manager.discoverUploadService();
            byte[] content = random(500_000);
            Slot slot = manager.requestSlot("cut.bin", content.length, "application/octet-stream");
            try (Socket socket = new Socket("127.0.0.1", gateway.gateway().httpPort())) {
                OutputStream out = socket.getOutputStream();
                out.write(head(slot.getPutUrl(), "application/octet-stream", content.length));
                out.write(content, 0, content.length / 2);
                out.flush();
                assertEquals(404, get(slot.getGetUrl()).statusCode(), "half a file is never served");
            } // the client goes away mid-upload
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            int status;
            do { // until the server has noticed the abort and released the slot
                try {
                    status = put(slot.getPutUrl(), "application/octet-stream", content).statusCode();
                } catch (java.io.IOException e) {
                    // A refused PUT (409) ends its connection before the body was read; the JDK client may try
                    // that pooled connection again and see it closed: the retry a real client makes too.
                    status = 409;
                }
            } while (status == 409 && System.nanoTime() < deadline);
            assertEquals(201, status);
            assertArrayEquals(content, get(slot.getGetUrl()).body());
        } finally {
            alice.disconnect();
        }
    }

    @Test
    void uploadsAndDownloadsWorkOverHttpsToo() throws Exception {
        HttpClient https = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .sslContext(gateway.server().clientSslContext()).build();
        XMPPTCPConnection alice = gateway.server().login("alice");
        try {
            HttpFileUploadManager manager = HttpFileUploadManager.getInstanceFor(alice);
            manager.discoverUploadService();
            byte[] content = random(70_000);
            Slot slot = manager.requestSlot("secure.bin", content.length, "application/octet-stream");
            URI put = onHttps(slot.getPutUrl());
            assertEquals(201, https.send(HttpRequest.newBuilder(put).header("Content-Type", "application/octet-stream")
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(content)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode());
            assertArrayEquals(content, https.send(HttpRequest.newBuilder(onHttps(slot.getGetUrl())).build(),
                    HttpResponse.BodyHandlers.ofByteArray()).body());
        } finally {
            alice.disconnect();
        }
    }

    @Test
    void aDeletedAccountsFilesAreDeletedWithIt() throws Exception {
        XMPPTCPConnection carol = gateway.server().login("carol");
        URL url;
        try {
            HttpFileUploadManager manager = HttpFileUploadManager.getInstanceFor(carol);
            manager.discoverUploadService();
            url = manager.uploadFile(Files.write(temp.resolve("mine.bin"), random(1000)).toFile());
            assertEquals(200, get(url).statusCode());
        } finally {
            carol.disconnect();
        }
        gateway.server().server().accounts().delete("carol");
        assertEquals(404, get(url).statusCode());
    }

    // ---- helpers ----

    /** Jetty's CrossOriginHandler names the page's origin (with Vary: Origin) rather than '*'; both allow it. */
    private static void assertAllowed(HttpResponse<?> response) {
        String allowed = response.headers().firstValue("Access-Control-Allow-Origin").orElse(null);
        assertTrue("*".equals(allowed) || "https://webchat.example.net".equals(allowed), response.headers().map().toString());
    }

    private HttpResponse<Void> put(URL url, String type, byte[] content) throws Exception {
        return http.send(HttpRequest.newBuilder(url.toURI()).header("Content-Type", type)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(content)).build(), HttpResponse.BodyHandlers.discarding());
    }

    private HttpResponse<byte[]> get(URL url) throws Exception {
        return http.send(HttpRequest.newBuilder(url.toURI()).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private URI onHttps(URL url) {
        return URI.create(url.toString().replace("http://localhost:" + gateway.gateway().httpPort(),
                "https://127.0.0.1:" + gateway.gateway().httpsPort()));
    }

    /** A PUT with any Content-Length (HttpClient will not send a wrong one); returns the response head. */
    static String rawPut(URL url, String type, long length, byte[] body) throws IOException {
        byte[] head = head(url, type, length);
        byte[] request = java.util.Arrays.copyOf(head, head.length + body.length);
        System.arraycopy(body, 0, request, head.length, body.length);
        return raw(url.getPort(), request);
    }

    /** Sends the bytes as they are; returns the response head. */
    static String raw(int port, byte[] request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(request);
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream response = new ByteArrayOutputStream();
            byte[] buffer = new byte[4096];
            int n;
            while (!response.toString(StandardCharsets.ISO_8859_1).contains("\r\n\r\n") && (n = in.read(buffer)) > 0) {
                response.write(buffer, 0, n);
            }
            return response.toString(StandardCharsets.ISO_8859_1);
        }
    }

    static byte[] head(URL url, String type, long length) {
        return ("PUT " + url.getFile() + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: " + type
                + "\r\nContent-Length: " + length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }
}
