package org.parley.client.bot.examples;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.CountDownLatch;

import org.parley.client.bot.Bot;
import org.parley.client.core.CertificateTrust;

/**
 * The example bot: sits in the lobby, answers {@code !help}, {@code !who} (who is in the room) and
 * {@code !time}, and greets people who join.
 *
 * <pre>
 * ./parley-bot [--server host:port] [--room lobby] [--fingerprint AB:CD:...] [--register] helper@localhost
 * </pre>
 * The password is read from standard input (or {@code PARLEY_BOT_PASSWORD}). Without {@code --fingerprint}
 * the certificate must be trusted by the system or pinned in {@code ~/.config/parley/trusted-servers.properties}.
 */
public final class RoomHelperBot {

    private RoomHelperBot() {
    }

    /** The bot's configuration; tests use it with their own server address and fingerprint. */
    public static Bot.Builder configure(Bot.Builder builder) {
        return builder
                .command("who", "who is in this room", ctx -> {
                    if (!ctx.inRoom()) {
                        ctx.reply("ask me in a room");
                    } else {
                        ctx.reply("here: " + Bot.describeOccupants(ctx.room()));
                    }
                })
                .command("time", "the time here", ctx ->
                        ctx.reply(ZonedDateTime.now().format(DateTimeFormatter.RFC_1123_DATE_TIME)))
                .onJoin(ctx -> ctx.say("Welcome, " + ctx.nick() + "! Type " + ctx.bot().prefix() + "help to see what I can do."));
    }

    public static void main(String[] args) throws Exception {
        org.parley.client.core.ConsoleLogging.routeJavaUtilLogging(); // Smack's warnings through logback, quietly
        String server = null;
        String room = "lobby";
        String fingerprint = null;
        boolean register = false;
        String jid = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--server" -> server = args[++i];
                case "--room" -> room = args[++i];
                case "--fingerprint" -> fingerprint = args[++i];
                case "--register" -> register = true;
                case "-h", "--help" -> {
                    System.out.println("usage: parley-bot [--server host:port] [--room lobby] [--fingerprint SHA256]"
                            + " [--register] name@domain   (password on standard input or in PARLEY_BOT_PASSWORD)");
                    return;
                }
                default -> jid = args[i];
            }
        }
        if (jid == null) {
            System.err.println("parley-bot: the bot's address is missing (e.g. helper@localhost); --help for usage");
            System.exit(2);
        }
        String password = System.getenv("PARLEY_BOT_PASSWORD");
        if (password == null) {
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            password = in.readLine();
        }
        if (password == null || password.isEmpty()) {
            System.err.println("parley-bot: no password on standard input");
            System.exit(2);
        }
        Bot.Builder builder = Bot.builder().account(jid, password).room(room).trust(CertificateTrust.userDefault());
        if (server != null) {
            int colon = server.lastIndexOf(':');
            builder.server(colon < 0 ? server : server.substring(0, colon),
                    colon < 0 ? 5222 : Integer.parseInt(server.substring(colon + 1)));
        }
        if (fingerprint != null) {
            builder.trustFingerprint(fingerprint);
        }
        Bot bot = configure(builder.createAccountIfMissing(register)).build();
        try {
            bot.start();
        } catch (org.parley.client.core.UntrustedCertificateException e) {
            System.err.println("parley-bot: the server certificate is not trusted. SHA-256 fingerprint:\n  "
                    + e.fingerprint() + "\nIf it matches what the server printed, run again with --fingerprint "
                    + e.fingerprint());
            System.exit(1);
        }
        System.out.println("parley-bot: " + bot.client().jid() + " is in " + bot.rooms() + " (Ctrl-C stops it)");
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            bot.close();
            stop.countDown();
        }));
        stop.await();
    }
}
