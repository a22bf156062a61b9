package org.parley.client.bot;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;

import org.parley.client.core.CertificateTrust;
import org.parley.client.core.ChatListener;
import org.parley.client.core.ChatMessage;
import org.parley.client.core.ClientSettings;
import org.parley.client.core.Occupant;
import org.parley.client.core.ParleyClient;
import org.parley.client.core.Room;
import org.parley.client.core.RoomListener;
import org.parley.client.core.RosterListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A command bot over the client core. Build one, {@link #start()} it, {@link #close()} it:
 *
 * <pre>{@code
 * Bot bot = Bot.builder()
 *         .server("localhost", 5222)
 *         .account("helper@localhost", password)
 *         .trustFingerprint("AB:CD:...")            // the fingerprint ./parley printed (or a CA-signed server)
 *         .room("lobby")
 *         .command("ping", "answers pong", ctx -> ctx.reply("pong"))
 *         .onJoin(ctx -> ctx.say("welcome, " + ctx.nick()))
 *         .build();
 * bot.start();
 * }</pre>
 *
 * <p>What it reacts to: in a room, a message starting with the prefix ({@code !ping}), or one that mentions the
 * bot ({@code @helper ping}, {@code helper: ping}); in a 1:1 chat every message ({@code ping} or
 * {@code !ping}). Unknown {@code !words} in a room are ignored unless the bot is mentioned (several bots can
 * share a room); elsewhere they get a hint to use {@code !help}. {@code !help} lists the commands unless you
 * define your own. History replayed by rooms and offline messages are never treated as commands, and the bot
 * never reacts to itself.
 *
 * <p>Replies go through an {@link OutputLimiter}: a burst of 5, then one message per second, up to 20 waiting;
 * beyond that replies are dropped with a log line ({@link Builder#rateLimit}). Commands run one at a time on
 * the bot's own thread. The bot accepts subscription requests (so people can add it as a contact) unless
 * {@link Builder#acceptSubscriptions(boolean)} says otherwise. The password is kept in memory only.
 */
public final class Bot implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Bot.class);

    private record Command(String description, CommandHandler handler) {
    }

    private final Builder config;
    private final ParleyClient client;
    private final OutputLimiter limiter;
    private final Map<String, Command> commands;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "parley-bot");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Set<String>> present = new ConcurrentHashMap<>();
    private final List<Room> rooms = new ArrayList<>();

    private Bot(Builder config) {
        this.config = config;
        CertificateTrust trust = config.trust != null ? config.trust : CertificateTrust.inMemory();
        if (config.fingerprint != null) {
            trust.trust(config.domain, config.fingerprint);
        }
        ClientSettings settings = new ClientSettings(config.domain, config.host, config.port, config.username,
                config.resource, config.reconnectDelaySeconds);
        this.client = new ParleyClient(settings, trust);
        this.limiter = new OutputLimiter(config.burst, config.refill, config.queueLimit);
        this.commands = new LinkedHashMap<>(config.commands);
        commands.putIfAbsent("help", new Command("lists the commands", this::help));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Logs in and joins the configured rooms. */
    public void start() throws Exception {
        client.addChatListener(new ChatListener() {
            @Override
            public void messageReceived(ChatMessage message) {
                if (!message.delayed()) {
                    worker.execute(() -> onDirect(message));
                }
            }
        });
        if (config.acceptSubscriptions) {
            client.addRosterListener(new RosterListener() {
                @Override
                public void subscriptionRequested(String jid) {
                    worker.execute(() -> {
                        try {
                            client.acceptSubscription(jid);
                        } catch (Exception e) {
                            LOG.warn("could not accept the subscription of {}: {}", jid, e.toString());
                        }
                    });
                }
            });
        }
        logIn();
        for (Map.Entry<String, String> entry : config.rooms.entrySet()) {
            joinRoom(entry.getKey(), entry.getValue());
        }
        LOG.debug("bot {} online in {}", client.jid(), rooms);
    }

    /**
     * Logs in; with {@link Builder#createAccountIfMissing} the account is registered first (XEP-0077), and an
     * account that exists already is the usual case on every later start, not a failure: nothing is said then.
     */
    private void logIn() throws Exception {
        if (config.createAccount) {
            try {
                client.register(config.password); // logs in too
                LOG.info("created the account {}", config.username + "@" + config.domain);
                return;
            } catch (org.jivesoftware.smack.XMPPException.XMPPErrorException e) {
                if (e.getStanzaError().getCondition() != org.jivesoftware.smack.packet.StanzaError.Condition.conflict) {
                    throw e;
                }
                LOG.debug("account {} exists already, logging in", config.username);
            }
        }
        client.login(config.password);
    }

    /** Joins another room (no history, so nothing old is answered). */
    public Room joinRoom(String room, String password) throws Exception {
        Room joined = client.join(room, config.nickname(), password, 0);
        Set<String> here = ConcurrentHashMap.newKeySet();
        joined.occupants().forEach(o -> here.add(o.nick()));
        present.put(joined.jid(), here);
        joined.addListener(new RoomListener() {
            @Override
            public void messageReceived(Room room, ChatMessage message) {
                if (!message.delayed() && !message.outgoing() && !message.from().isEmpty()) {
                    worker.execute(() -> onRoomMessage(room, message));
                }
            }

            @Override
            public void occupantJoined(Room room, String nick) {
                // Only newcomers: not the bot, and not people the bot saw before (e.g. after a re-join).
                if (here.add(nick) && !nick.equals(room.nickname()) && config.joinHandler != null) {
                    worker.execute(() -> {
                        try {
                            config.joinHandler.joined(new JoinContext(Bot.this, room, nick));
                        } catch (Exception e) {
                            LOG.warn("join handler failed for {} in {}: {}", nick, room, e.toString());
                        }
                    });
                }
            }

            @Override
            public void occupantLeft(Room room, String nick) {
                here.remove(nick);
            }
        });
        synchronized (rooms) {
            rooms.add(joined);
        }
        return joined;
    }

    /** The client underneath, for anything the bot API does not cover. */
    public ParleyClient client() {
        return client;
    }

    /** The rooms the bot joined. */
    public List<Room> rooms() {
        synchronized (rooms) {
            return List.copyOf(rooms);
        }
    }

    /** The output limiter (counts of sent and dropped replies). */
    public OutputLimiter limiter() {
        return limiter;
    }

    /** Command names with descriptions, in the order they were added. */
    public Map<String, String> commands() {
        return commands.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey,
                e -> e.getValue().description(), (a, b) -> a, LinkedHashMap::new));
    }

    public String prefix() {
        return config.prefix;
    }

    /** Sends to a room through the rate limit; false when the limit dropped it (too many waiting). */
    public boolean sendToRoom(Room room, String text) {
        return limiter.submit(room.jid() + ": " + text, () -> room.send(text));
    }

    /**
     * Uploads a file (XEP-0363) and sends it to a contact or one of the bot's rooms (by address); blocks until
     * the upload is done. Throws {@link UnsupportedOperationException} when the server has no upload service.
     *
     * @return the file's download address
     */
    public java.net.URL sendFile(String to, java.nio.file.Path file) throws Exception {
        return client.sendFile(to, file, null);
    }

    /** Reacts to a message (XEP-0444) of a contact or in one of the bot's rooms with one emoji. */
    public void react(String to, String messageId, String emoji) {
        limiter.submit(to + ": reaction " + emoji, () -> client.react(to, messageId, Set.of(emoji)));
    }

    /** Sends a 1:1 message through the rate limit. */
    public void sendTo(String jid, String text) {
        limiter.submit(jid + ": " + text, () -> client.sendMessage(jid, text));
    }

    private void onDirect(ChatMessage message) {
        String text = message.body().strip();
        if (text.startsWith(config.prefix)) {
            text = text.substring(config.prefix.length());
        }
        dispatch(text, message.from(), null, true, message.id());
    }

    private void onRoomMessage(Room room, ChatMessage message) {
        String text = message.body().strip();
        String nick = room.nickname();
        String rest = mention(text, nick);
        if (rest != null) {
            if (rest.startsWith(config.prefix)) {
                rest = rest.substring(config.prefix.length());
            }
            dispatch(rest, message.from(), room, true, message.id());
        } else if (text.startsWith(config.prefix) && text.length() > config.prefix.length()) {
            dispatch(text.substring(config.prefix.length()), message.from(), room, false, message.id());
        }
    }

    /** The text without the mention when it addresses {@code nick}, otherwise null. */
    static String mention(String text, String nick) {
        if (nick == null || nick.isEmpty()) {
            return null;
        }
        String lower = text.toLowerCase(Locale.ROOT);
        String n = nick.toLowerCase(Locale.ROOT);
        if (lower.startsWith(n + ":") || lower.startsWith(n + ",")) {
            return text.substring(n.length() + 1).strip();
        }
        int at = lower.indexOf("@" + n);
        if (at >= 0) {
            int end = at + n.length() + 1;
            boolean wordEnd = end == text.length() || !Character.isLetterOrDigit(text.charAt(end));
            if (wordEnd) {
                String rest = (text.substring(0, at).strip() + " " + text.substring(end).strip()).strip();
                return rest.startsWith(":") || rest.startsWith(",") ? rest.substring(1).strip() : rest;
            }
        }
        return null;
    }

    private void dispatch(String text, String sender, Room room, boolean addressed, String messageId) {
        String[] parts = text.strip().split("\\s+", 2);
        String name = parts[0].toLowerCase(Locale.ROOT);
        String arguments = parts.length > 1 ? parts[1].strip() : "";
        CommandContext context = new CommandContext(this, name, arguments, sender, room, text.strip(), messageId);
        Command command = commands.get(name);
        if (command == null && addressed) {
            // "hey @helper, who is here?": the first word that names a command.
            String[] words = text.strip().split("\\s+");
            for (int i = 1; i < words.length && command == null; i++) {
                String word = words[i].toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}_-]", "");
                if (word.startsWith(config.prefix)) {
                    word = word.substring(config.prefix.length());
                }
                command = commands.get(word);
                if (command != null) {
                    name = word;
                    arguments = String.join(" ", java.util.Arrays.copyOfRange(words, i + 1, words.length));
                    context = new CommandContext(this, name, arguments, sender, room, text.strip(), messageId);
                }
            }
        }
        if (command == null && addressed && config.otherwise != null) {
            command = new Command(null, config.otherwise);
        }
        if (command == null) {
            if (addressed) {
                context.reply(name.isEmpty() ? "hello! Try " + config.prefix + "help"
                        : "I don't know '" + name + "'. Try " + config.prefix + "help");
            }
            return;
        }
        try {
            command.handler().handle(context);
        } catch (Exception e) {
            LOG.warn("command {} from {} failed", name, sender, e);
            context.reply("sorry, " + config.prefix + name + " failed");
        }
    }

    private void help(CommandContext context) {
        String list = commands.entrySet().stream()
                .map(e -> config.prefix + e.getKey() + (e.getValue().description() == null ? "" : " – " + e.getValue().description()))
                .collect(Collectors.joining("; "));
        context.reply("commands: " + list);
    }

    /** Lists the occupants of the room a command came from: {@code nick (role)}. */
    public static String describeOccupants(Room room) {
        return room.occupants().stream().map(Occupant::nick).sorted(String.CASE_INSENSITIVE_ORDER)
                .collect(Collectors.joining(", "));
    }

    /** Leaves the rooms and logs out. */
    @Override
    public void close() {
        worker.shutdownNow();
        limiter.close();
        client.close();
    }

    /** Configures a {@link Bot}. Required: {@link #account}; everything else has defaults. */
    public static final class Builder {
        private String domain;
        private String host;
        private int port = 5222;
        private String username;
        private String password;
        private String resource = "bot";
        private String nickname;
        private String fingerprint;
        private CertificateTrust trust;
        private final Map<String, String> rooms = new LinkedHashMap<>();
        private final Map<String, Command> commands = new LinkedHashMap<>();
        private JoinHandler joinHandler;
        private CommandHandler otherwise;
        private String prefix = "!";
        private int burst = 5;
        private Duration refill = Duration.ofSeconds(1);
        private int queueLimit = 20;
        private boolean acceptSubscriptions = true;
        private boolean createAccount;
        private int reconnectDelaySeconds = 5;

        private Builder() {
        }

        /** Host and STARTTLS port to connect to (defaults: the account's domain, 5222). */
        public Builder server(String host, int port) {
            this.host = host;
            this.port = port;
            return this;
        }

        /** The bot's account, {@code name@domain}, and its password (kept in memory only). */
        public Builder account(String jid, String password) {
            ClientSettings parsed = ClientSettings.of(jid);
            this.username = parsed.username();
            this.domain = parsed.domain();
            this.password = Objects.requireNonNull(password, "password");
            return this;
        }

        public Builder resource(String resource) {
            this.resource = resource;
            return this;
        }

        /** Room nickname (default: the account name). */
        public Builder nickname(String nickname) {
            this.nickname = nickname;
            return this;
        }

        /** Trusts the server certificate with this SHA-256 fingerprint (for self-signed servers). */
        public Builder trustFingerprint(String fingerprint) {
            this.fingerprint = fingerprint;
            return this;
        }

        /** Uses these remembered pins (e.g. {@link CertificateTrust#userDefault()}); default: system trust only. */
        public Builder trust(CertificateTrust trust) {
            this.trust = trust;
            return this;
        }

        /** A room to join on start: a name on the server's MUC service ({@code lobby}) or a full address. */
        public Builder room(String room) {
            return room(room, null);
        }

        public Builder room(String room, String password) {
            rooms.put(room, password);
            return this;
        }

        /** A command (name without prefix) with a one-line description for {@code !help}. */
        public Builder command(String name, String description, CommandHandler handler) {
            commands.put(name.toLowerCase(Locale.ROOT), new Command(description, handler));
            return this;
        }

        public Builder command(String name, CommandHandler handler) {
            return command(name, null, handler);
        }

        /**
         * Handles what is addressed to the bot but names no command: every such 1:1 message and, in rooms, a
         * message that mentions the bot. {@link CommandContext#text()} is the whole message. Without it the bot
         * answers with a hint to use help.
         */
        public Builder otherwise(CommandHandler handler) {
            this.otherwise = handler;
            return this;
        }

        /** Called when someone joins one of the bot's rooms. */
        public Builder onJoin(JoinHandler handler) {
            this.joinHandler = handler;
            return this;
        }

        /** The command prefix (default {@code !}). */
        public Builder prefix(String prefix) {
            this.prefix = prefix;
            return this;
        }

        /**
         * Output rate limit: {@code burst} messages at once, then one per {@code refill}
         * ({@link Duration#ZERO}: never refill); at most {@code queueLimit} messages wait, more are dropped.
         */
        public Builder rateLimit(int burst, Duration refill, int queueLimit) {
            this.burst = burst;
            this.refill = refill;
            this.queueLimit = queueLimit;
            return this;
        }

        /**
         * Creates the account by in-band registration (XEP-0077) on start when it does not exist yet; an existing
         * account is simply logged in to. Needs a server that allows registration.
         */
        public Builder createAccountIfMissing(boolean create) {
            this.createAccount = create;
            return this;
        }

        /** Whether subscription requests are accepted (default: yes, so that people can add the bot). */
        public Builder acceptSubscriptions(boolean accept) {
            this.acceptSubscriptions = accept;
            return this;
        }

        public Builder reconnectDelay(int seconds) {
            this.reconnectDelaySeconds = seconds;
            return this;
        }

        String nickname() {
            return nickname != null ? nickname : username;
        }

        public Bot build() {
            if (username == null) {
                throw new IllegalStateException("account(jid, password) is required");
            }
            if (host == null) {
                host = domain;
            }
            return new Bot(this);
        }
    }
}
