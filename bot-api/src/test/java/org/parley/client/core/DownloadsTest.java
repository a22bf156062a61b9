package org.parley.client.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpServer;

/**
 * The desktop's picture download over a real loopback HTTP server: bounded in bytes (one more and it is
 * refused) and in time for the whole transfer, body included (a server that sends its headers and then
 * drips its body must not hold the download worker for ever).
 */
class DownloadsTest {

    private HttpServer server;
    private final CountDownLatch stop = new CountDownLatch(1);

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/ten", exchange -> {
            exchange.sendResponseHeaders(200, 10);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(new byte[10]);
            }
        });
        server.createContext("/drip", exchange -> {
            exchange.sendResponseHeaders(200, 0); // chunked, and the rest never comes
            OutputStream out = exchange.getResponseBody();
            out.write(1);
            out.flush();
            try {
                stop.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.close();
        });
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
    }

    @AfterEach
    void end() {
        stop.countDown();
        server.stop(0);
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    @Test
    void atMostMaxBytes() throws Exception {
        assertArrayEquals(new byte[10], Downloads.fetch(SSLContext.getDefault(), uri("/ten"), 10, Duration.ofSeconds(20)));
        IOException tooLarge = assertThrows(IOException.class,
                () -> Downloads.fetch(SSLContext.getDefault(), uri("/ten"), 9, Duration.ofSeconds(20)));
        assertTrue(tooLarge.getMessage().contains("larger than 9 bytes"), tooLarge.getMessage());
    }

    @Test
    void aBodyThatNeverEndsIsGivenUpAtTheDeadline() throws Exception {
        long start = System.nanoTime();
        IOException late = assertThrows(IOException.class,
                () -> Downloads.fetch(SSLContext.getDefault(), uri("/drip"), 1000, Duration.ofSeconds(2)));
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        assertTrue(late.getMessage().contains("did not arrive within 2 s"), late.getMessage());
        assertTrue(seconds < 15, "given up at the deadline, not when the server stops: " + seconds + " s");
    }

    @Test
    void onlyWebAddresses() {
        assertThrows(IllegalArgumentException.class,
                () -> Downloads.fetch(SSLContext.getDefault(), URI.create("file:///etc/passwd"), 10, Duration.ofSeconds(2)));
    }
}
