package org.parley.client.bot.examples;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.parley.client.bot.Bot;
import org.parley.client.core.CertificateTrust;
import org.parley.client.core.ConsoleLogging;
import org.parley.client.core.Room;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Incoming-webhook bridge: an HTTP endpoint that turns each POST into a message in a room, the usual way to let
 * CI, monitoring or scripts talk to a chat.
 *
 * <pre>
 * curl -H 'Authorization: Bearer s3cret' --data-binary 'Build 42 passed' http://127.0.0.1:8088/hook
 * </pre>
 *
 * <p>The request body is the message, as UTF-8 plain text. Answers: 202 (queued for the room), 401 (missing or
 * wrong secret), 405 (not POST), 413 (body larger than the limit, default {@value #DEFAULT_MAX_BODY} bytes),
 * 400 (empty or not UTF-8), 429 (the bot's output rate limit is full: try later), 503 (the bot is not in the
 * room). The secret is compared in constant time (of SHA-256 digests, so its length does not leak either).
 * Messages go through the bot's rate limit like every reply.
 *
 * <p>HTTP comes from the JDK's own server ({@code com.sun.net.httpserver}), so the bot library needs no web
 * server dependency; two threads handle requests, and a request must arrive within 30 s (the JDK server's
 * {@code sun.net.httpserver.maxReqTime}, set here unless the JVM was started with another value). Serve it on
 * loopback, or behind a reverse proxy for TLS: the secret travels in the request.
 */
public final class WebhookBridge implements AutoCloseable {

    /** Default body limit in bytes. */
    public static final int DEFAULT_MAX_BODY = 16 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(WebhookBridge.class);

    static {
        // Read once by the JDK server: bound how long a (slow or stalled) client may take to send its request.
        if (System.getProperty("sun.net.httpserver.maxReqTime") == null) {
            System.setProperty("sun.net.httpserver.maxReqTime", "30");
        }
        if (System.getProperty("sun.net.httpserver.maxRspTime") == null) {
            System.setProperty("sun.net.httpserver.maxRspTime", "30");
        }
    }

    private final HttpServer server;
    private final ExecutorService threads;

    private WebhookBridge(HttpServer server, ExecutorService threads) {
        this.server = server;
        this.threads = threads;
    }

    /**
     * Serves {@code path} on {@code address} (port 0: any free port) and posts what arrives into {@code room}.
     *
     * @param secret  the shared secret clients send as {@code Authorization: Bearer <secret>}; not empty
     * @param maxBody the largest accepted body in bytes
     */
    public static WebhookBridge start(Bot bot, Room room, InetSocketAddress address, String path, String secret,
            int maxBody) throws IOException {
        if (secret == null || secret.isEmpty()) {
            throw new IllegalArgumentException("the webhook secret must not be empty");
        }
        if (maxBody < 1) {
            throw new IllegalArgumentException("maxBody must be positive");
        }
        byte[] expected = sha256(secret.getBytes(StandardCharsets.UTF_8));
        HttpServer server = HttpServer.create(address, 16);
        ExecutorService threads = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "parley-webhook");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(threads);
        server.createContext(path, exchange -> {
            try (exchange) {
                handle(exchange, path, bot, room, expected, maxBody);
            } catch (IOException e) {
                LOG.debug("webhook request failed: {}", e.toString());
            }
        });
        server.start();
        return new WebhookBridge(server, threads);
    }

    private static void handle(HttpExchange exchange, String path, Bot bot, Room room, byte[] expected, int maxBody)
            throws IOException {
        if (!exchange.getRequestURI().getPath().equals(path)) {
            answer(exchange, 404, "not found");
            return;
        }
        if (!"POST".equals(exchange.getRequestMethod())) {
            exchange.getResponseHeaders().set("Allow", "POST");
            answer(exchange, 405, "POST only");
            return;
        }
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        byte[] given = sha256((authorization == null || !authorization.startsWith("Bearer ") ? ""
                : authorization.substring("Bearer ".length())).getBytes(StandardCharsets.UTF_8));
        if (!MessageDigest.isEqual(expected, given)) { // constant time
            exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
            answer(exchange, 401, "wrong or missing secret");
            return;
        }
        byte[] body = readAtMost(exchange.getRequestBody(), maxBody);
        if (body == null) {
            answer(exchange, 413, "body larger than " + maxBody + " bytes");
            return;
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString().strip();
        } catch (CharacterCodingException e) {
            answer(exchange, 400, "the body is not UTF-8 text");
            return;
        }
        if (text.isEmpty()) {
            answer(exchange, 400, "empty message");
            return;
        }
        if (!room.isJoined()) {
            answer(exchange, 503, "the bot is not in the room right now");
            return;
        }
        if (!bot.sendToRoom(room, text)) {
            exchange.getResponseHeaders().set("Retry-After", "5");
            answer(exchange, 429, "too many messages waiting, try later");
            return;
        }
        answer(exchange, 202, "queued");
    }

    /** The body, or null when it is longer than {@code max} (only max + 1 bytes are ever read). */
    private static byte[] readAtMost(InputStream in, int max) throws IOException {
        byte[] read = in.readNBytes(max + 1);
        return read.length > max ? null : read;
    }

    private static void answer(HttpExchange exchange, int status, String text) throws IOException {
        byte[] bytes = (text + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The port it listens on. */
    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(1);
        threads.shutdownNow();
    }

    /**
     * {@code ... WebhookBridge [--server host:port] [--fingerprint SHA256] [--room lobby] [--listen 127.0.0.1:8088]
     * [--path /hook] name@domain}; the account's password on standard input (or PARLEY_BOT_PASSWORD), the
     * shared secret in PARLEY_WEBHOOK_SECRET.
     */
    public static void main(String[] args) throws Exception {
        ConsoleLogging.routeJavaUtilLogging();
        String server = null;
        String fingerprint = null;
        String roomName = "lobby";
        String listen = "127.0.0.1:8088";
        String path = "/hook";
        String jid = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--server" -> server = args[++i];
                case "--fingerprint" -> fingerprint = args[++i];
                case "--room" -> roomName = args[++i];
                case "--listen" -> listen = args[++i];
                case "--path" -> path = args[++i];
                default -> jid = args[i];
            }
        }
        String secret = System.getenv("PARLEY_WEBHOOK_SECRET");
        String password = System.getenv("PARLEY_BOT_PASSWORD");
        if (password == null) {
            password = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        }
        if (jid == null || secret == null || secret.isEmpty() || password == null || password.isEmpty()) {
            System.err.println("usage: WebhookBridge [--server host:port] [--fingerprint SHA256] [--room lobby]"
                    + " [--listen 127.0.0.1:8088] [--path /hook] name@domain"
                    + " (password on standard input or in PARLEY_BOT_PASSWORD, secret in PARLEY_WEBHOOK_SECRET)");
            System.exit(2);
        }
        Bot.Builder builder = Bot.builder().account(jid, password).trust(CertificateTrust.userDefault());
        if (server != null) {
            int colon = server.lastIndexOf(':');
            builder.server(server.substring(0, colon), Integer.parseInt(server.substring(colon + 1)));
        }
        if (fingerprint != null) {
            builder.trustFingerprint(fingerprint);
        }
        Bot bot = builder.build();
        bot.start();
        Room room = bot.joinRoom(roomName, null);
        int colon = listen.lastIndexOf(':');
        WebhookBridge bridge = start(bot, room, new InetSocketAddress(listen.substring(0, colon),
                Integer.parseInt(listen.substring(colon + 1))), path, secret, DEFAULT_MAX_BODY);
        System.out.println("webhook bridge: POST to http://" + listen + path + " goes to " + room.jid()
                + " (Ctrl-C stops it)");
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            bridge.close();
            bot.close();
            stop.countDown();
        }));
        stop.await();
    }
}
