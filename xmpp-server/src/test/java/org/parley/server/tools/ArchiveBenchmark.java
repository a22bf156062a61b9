package org.parley.server.tools;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.protocol.NamespaceURIs;
import org.apache.vysper.xmpp.server.SessionContext;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.parley.server.config.ServerSettings.Mam.Mode;
import org.parley.server.config.ServerSettings.StorageSettings;
import org.parley.server.mam.ArchiveHook;
import org.parley.server.mam.MessageArchive;
import org.parley.server.storage.ArchiveStore;
import org.parley.server.storage.Storage;
import org.parley.server.storage.jdbc.JdbcStorage;
import org.parley.server.testing.TestPostgres;

/**
 * The message archive at scale, by hand (not a test): fills an archive of N messages (default 1 000 000) into
 * the embedded H2 database and into PostgreSQL through {@link ArchiveStore#appendAll}, then measures
 * <ul>
 *   <li>the newest page of 50 of one conversation (XEP-0313 query with {@code with} and an empty
 *       {@code <before/>}, the query a client makes when a chat opens) through {@link ArchiveStore#page}, for
 *       a conversation of 100 000 messages, for small ones, and for a whole account archive, and the page
 *       before the newest one of the long conversation;</li>
 *   <li>what archiving adds to 1:1 delivery: the archive hooks the relay runs before it delivers a message
 *       (stamp, serialise, queue), and the wait for the group commit before a stream acknowledges it
 *       (XEP-0198, when the sender asks for an acknowledgement after every message), four senders at once;</li>
 *   <li>the retention purge of the oldest tenth, and one plain DELETE of the next tenth for comparison;</li>
 * </ul>
 * and prints the query plans. Usage: {@code ArchiveBenchmark [sqlite|h2|postgresql|all] [messages]} (sqlite: the
 * embedded default; h2: an H2 file as the embedded database of earlier versions; all, or both as before: the
 * three); see
 * {@code benchmarks/archive/README.md}.
 */
public final class ArchiveBenchmark {

    private static final String DOMAIN = "bench.example";
    private static final String HOT_OWNER = "alice@" + DOMAIN;
    private static final String HOT_WITH = "bob@" + DOMAIN;
    private static final int OWNERS = 1000;
    private static final int PEERS = 10;
    private static final int PAGE = 50;

    private ArchiveBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        String which = args.length > 0 ? args[0] : "all";
        boolean all = which.equals("all") || which.equals("both");
        int messages = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
        System.out.printf("machine: %d cores, %s, Java %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name") + " " + System.getProperty("os.arch"), System.getProperty("java.version"));
        if (which.equals("sqlite") || all) {
            Path data = Files.createTempDirectory("parley-archive-bench-");
            FileSize file = new FileSize(data.resolve("db").resolve("parley.db"));
            try {
                try (Storage storage = JdbcStorage.open(new StorageSettings(null, null, null, 4), data)) {
                    String url = "jdbc:sqlite:" + data.resolve("db").resolve("parley.db").toAbsolutePath();
                    run("SQLite (embedded, WAL, synchronous=NORMAL)", storage, messages,
                            () -> DriverManager.getConnection(url), false, file);
                    file.print("before close");
                }
                file.print("after close");
            } finally {
                file.stop();
                delete(data);
            }
        }
        if (which.equals("h2") || all) {
            Path data = Files.createTempDirectory("parley-archive-bench-");
            FileSize file = new FileSize(data.resolve("db").resolve("parley.mv.db"));
            try {
                String url = "jdbc:h2:file:" + data.resolve("db").resolve("parley").toAbsolutePath()
                        + ";DB_CLOSE_ON_EXIT=FALSE;LOCK_TIMEOUT=10000;WRITE_DELAY=0";
                try (Storage storage = JdbcStorage.open(new StorageSettings(url, null, null, 4), data)) {
                    run("H2 (file, WRITE_DELAY=0)", storage, messages, () -> DriverManager.getConnection(url, "sa", ""),
                            false, file);
                    file.print("before close");
                }
                file.print("after close");
            } finally {
                file.stop();
                delete(data);
            }
        }
        if (which.equals("postgresql") || all) {
            StorageSettings database = TestPostgres.newDatabase();
            try (Connection c = DriverManager.getConnection(database.jdbcUrl(), database.user(), "");
                 Statement s = c.createStatement()) {
                s.execute("ALTER SYSTEM SET fsync = on"); // the test cluster runs without; a real server with
                s.execute("SELECT pg_reload_conf()");
            }
            Path data = Files.createTempDirectory("parley-archive-bench-");
            try (Storage storage = JdbcStorage.open(database, data)) {
                run("PostgreSQL (local, fsync on)", storage, messages,
                        () -> DriverManager.getConnection(database.jdbcUrl(), database.user(), ""), true, null);
            } finally {
                delete(data);
            }
        }
        System.exit(0); // the test PostgreSQL stops in a shutdown hook
    }

    @FunctionalInterface
    private interface Connector {
        Connection connect() throws Exception;
    }

    /** The embedded database file's size, sampled twice a second so the peak during the fill shows too. */
    private static final class FileSize {
        private final Path file;
        private final Thread sampler;
        private volatile long peak;

        FileSize(Path file) {
            this.file = file;
            this.sampler = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    peak = Math.max(peak, size());
                    try {
                        Thread.sleep(500); // a sampling period, not a wait for an outcome
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "file-size");
            sampler.setDaemon(true);
            sampler.start();
        }

        long size() {
            try {
                return Files.exists(file) ? Files.size(file) : 0;
            } catch (java.io.IOException e) {
                return 0;
            }
        }

        void print(String when) {
            long now = size();
            peak = Math.max(peak, now);
            System.out.printf("database file %s: %,.1f MB (peak so far %,.1f MB)%n", when, now / 1e6, peak / 1e6);
        }

        void stop() {
            sampler.interrupt();
        }
    }

    private static void run(String name, Storage storage, int messages, Connector sql, boolean postgres, FileSize file)
            throws Exception {
        System.out.printf("%n== %s ==%n", name);
        ArchiveStore archive = storage.archive();
        long start = System.nanoTime();
        int hot = fill(archive, messages);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("filled %,d messages (hot conversation %,d, %,d others of ~%d) in %.0f s (%,.0f/s)%n",
                messages, hot, OWNERS * PEERS, (messages - hot) / (OWNERS * PEERS), seconds, messages / seconds);
        if (file != null) {
            System.out.printf("stanzas filled: %,.1f MB (without ids, JIDs, timestamps and indexes)%n", stanzaBytes / 1e6);
            file.print("after the fill");
        }
        try (Connection c = sql.connect(); Statement s = c.createStatement()) {
            if (postgres) {
                s.execute("VACUUM ANALYZE archive_messages"); // what autovacuum does after a bulk load
            } else {
                s.execute("ANALYZE");
            }
        }
        plans(sql, postgres);

        Random random = new Random(7);
        measure(archive, "newest page of 50, conversation of " + hot, () ->
                archive.page(new ArchiveStore.Filter(HOT_OWNER, HOT_WITH, null, null), last()));
        measure(archive, "newest page of 50, conversation of ~" + (messages - hot) / (OWNERS * PEERS), () ->
                archive.page(new ArchiveStore.Filter(owner(random.nextInt(OWNERS)), peer(random.nextInt(PEERS)),
                        null, null), last()));
        measure(archive, "newest page of 50, whole archive of " + hot, () ->
                archive.page(new ArchiveStore.Filter(HOT_OWNER, null, null, null), last()));
        // Scrolling back: the page before the newest (its position counts the entries after it).
        ArchiveStore.Filter hotConversation = new ArchiveStore.Filter(HOT_OWNER, HOT_WITH, null, null);
        String newestFirst = archive.page(hotConversation, last()).entries().get(0).id();
        measure(archive, "second-newest page of 50 (before an id), conversation of " + hot, () ->
                archive.page(hotConversation, new ArchiveStore.Paging(null, newestFirst, false, PAGE)));
        delivery(storage);
        if (file != null) {
            file.print("after the measurements");
        }
        purge(archive, messages, sql);
    }

    /**
     * The retention purge of the oldest tenth (the store deletes row by row to keep the counters exact), then,
     * for comparison, the next tenth with the one plain DELETE the store used before the counters.
     */
    private static void purge(ArchiveStore archive, int messages, Connector sql) throws Exception {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        long start = System.nanoTime();
        int purged = archive.deleteOlderThan(t0.plusMillis(messages / 10));
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("retention purge (deleteOlderThan, counters kept): %,d messages in %.1f s (%,.0f/s)%n",
                purged, seconds, purged / seconds);
        try (Connection c = sql.connect();
             java.sql.PreparedStatement delete = c.prepareStatement("DELETE FROM archive_messages WHERE sent_at < ?")) {
            delete.setObject(1, t0.plusMillis(2L * messages / 10).atOffset(java.time.ZoneOffset.UTC));
            start = System.nanoTime();
            int deleted = delete.executeUpdate();
            if (!c.getAutoCommit()) {
                c.commit();
            }
            seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("for comparison, one plain DELETE (no counters): %,d messages in %.1f s (%,.0f/s)%n",
                    deleted, seconds, deleted / seconds);
        }
    }

    private static ArchiveStore.Paging last() {
        return new ArchiveStore.Paging(null, null, true, PAGE);
    }

    private static String owner(int i) {
        return "user" + i + "@" + DOMAIN;
    }

    private static String peer(int i) {
        return "peer" + i + "@" + DOMAIN;
    }

    private static long stanzaBytes;

    /** One message in ten belongs to the hot conversation; the rest spread evenly, interleaved in time. */
    private static int fill(ArchiveStore archive, int messages) {
        Random random = new Random(42);
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        String padding = "x".repeat(120);
        List<ArchiveStore.Appended> batch = new ArrayList<>(5000);
        int hot = 0;
        for (int i = 0; i < messages; i++) {
            String owner;
            String with;
            if (i % 10 == 0) {
                owner = HOT_OWNER;
                with = HOT_WITH + "/phone";
                hot++;
            } else {
                owner = owner(random.nextInt(OWNERS));
                with = peer(random.nextInt(PEERS)) + "/laptop";
            }
            String id = MessageArchive.newId();
            String stanza = "<message xmlns='jabber:client' from='" + with + "' to='" + owner + "' type='chat' id='m"
                    + i + "'><body>message " + i + " " + padding + "</body><stanza-id xmlns='urn:xmpp:sid:0' id='"
                    + id + "' by='" + owner + "'/></message>";
            stanzaBytes += stanza.length();
            batch.add(new ArchiveStore.Appended(owner, new ArchiveStore.Entry(id, with, t0.plusMillis(i), stanza)));
            if (batch.size() == 5000) {
                archive.appendAll(batch);
                batch.clear();
            }
        }
        archive.appendAll(batch);
        return hot;
    }

    private static void plans(Connector sql, boolean postgres) throws Exception {
        // As JdbcArchiveStore.page builds them for the newest page of a conversation and of a whole archive.
        String page = "SELECT seq, id, with_jid, sent_at, stanza FROM archive_messages WHERE archive = '" + HOT_OWNER
                + "' AND with_bare = '" + HOT_WITH + "' ORDER BY archive DESC, with_bare DESC, seq DESC LIMIT 51";
        String archivePage = "SELECT seq, id, with_jid, sent_at, stanza FROM archive_messages WHERE archive = '"
                + HOT_OWNER + "' ORDER BY archive DESC, seq DESC LIMIT 51";
        // The count of a query without a time filter (one counter row), and of one with a time filter.
        String counter = "SELECT messages FROM archive_counts WHERE archive = '" + HOT_OWNER + "' AND with_bare = '"
                + HOT_WITH + "'";
        String count = "SELECT COUNT(*) FROM archive_messages WHERE archive = '" + HOT_OWNER + "' AND with_bare = '"
                + HOT_WITH + "'";
        try (Connection c = sql.connect(); Statement s = c.createStatement()) {
            boolean sqlite = c.getMetaData().getDatabaseProductName().equals("SQLite");
            for (String query : List.of(page, counter, count, archivePage)) {
                System.out.println("plan: " + query);
                String explain = postgres ? "EXPLAIN (ANALYZE, BUFFERS) " : sqlite ? "EXPLAIN QUERY PLAN " : "EXPLAIN ANALYZE ";
                try (ResultSet rs = s.executeQuery(explain + query)) {
                    while (rs.next()) {
                        System.out.println("  " + rs.getString(sqlite ? 4 : 1).replace("\n", "\n  "));
                    }
                }
            }
        }
    }

    /**
     * Each query follows a write to another archive, as on a live server; that also keeps H2 from answering a
     * repeated query from its result cache (it reuses results while a table is unchanged).
     */
    private static void measure(ArchiveStore archive, String what, Runnable query) {
        Instant now = Instant.parse("2027-01-01T00:00:00Z");
        for (int i = 0; i < 300; i++) { // warm-up
            archive.append("live@" + DOMAIN, new ArchiveStore.Entry(MessageArchive.newId(), "peer@" + DOMAIN, now,
                    "<message/>"));
            query.run();
        }
        long[] nanos = new long[2000];
        for (int i = 0; i < nanos.length; i++) {
            archive.append("live@" + DOMAIN, new ArchiveStore.Entry(MessageArchive.newId(), "peer@" + DOMAIN, now,
                    "<message/>"));
            long t = System.nanoTime();
            query.run();
            nanos[i] = System.nanoTime() - t;
        }
        report(what, nanos);
    }

    /** A stand-in for a sender's session: only its identity matters to the archive. */
    private static SessionContext session() {
        return (SessionContext) java.lang.reflect.Proxy.newProxyInstance(SessionContext.class.getClassLoader(),
                new Class<?>[] {SessionContext.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    case "toString" -> "session";
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    /** Four senders, each routing 5 000 messages to a peer through the archive hooks as the relay does. */
    private static void delivery(Storage storage) throws Exception {
        int senders = 4;
        // The senders' sessions, as the relay resolves them from the sender's full JID: an acknowledgement
        // waits for what was archived for that session's stanzas.
        java.util.Map<Entity, SessionContext> sessions = new java.util.concurrent.ConcurrentHashMap<>();
        for (int t = 0; t < senders; t++) {
            sessions.put(EntityImpl.parse("sender" + t + "@" + DOMAIN + "/desk"), session());
        }
        MessageArchive archive = new MessageArchive(storage.archive(), storage.documents(), Clock.systemUTC(),
                Mode.ALWAYS, (a, b) -> true, sessions::get);
        ArchiveHook hook = new ArchiveHook(archive);
        int perSender = 5000;
        int warmup = 500;
        long[] beforeDelivery = new long[senders * perSender];
        long[] beforeAck = new long[senders * perSender];
        CountDownLatch done = new CountDownLatch(senders);
        List<Throwable> failures = new ArrayList<>();
        for (int t = 0; t < senders; t++) {
            int sender = t;
            Thread thread = new Thread(() -> {
                try {
                    Entity from = EntityImpl.parse("sender" + sender + "@" + DOMAIN + "/desk");
                    Entity to = EntityImpl.parse("receiver" + sender + "@" + DOMAIN);
                    for (int i = -warmup; i < perSender; i++) {
                        Stanza message = new StanzaBuilder("message", NamespaceURIs.JABBER_CLIENT)
                                .addAttribute("from", from.getFullQualifiedName())
                                .addAttribute("to", to.getFullQualifiedName()).addAttribute("type", "chat")
                                .addAttribute("id", "d" + i)
                                .startInnerElement("body", NamespaceURIs.JABBER_CLIENT).addText("hello " + i).endInnerElement()
                                .build();
                        long t0 = System.nanoTime();
                        Stanza routed = hook.sent(from, to, message);
                        hook.receiving(to, routed);
                        long t1 = System.nanoTime(); // the relay hands the message to the recipient here
                        if (!archive.whenStored(archive.takeMark(sessions.get(from))).get(10, TimeUnit.SECONDS)) {
                            throw new IllegalStateException("archiving failed");
                        }
                        long t2 = System.nanoTime(); // a stream acknowledging it at once (XEP-0198 <r/>) answers here
                        if (i >= 0) {
                            beforeDelivery[sender * perSender + i] = t1 - t0;
                            beforeAck[sender * perSender + i] = t2 - t0;
                        }
                    }
                } catch (Throwable e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                } finally {
                    done.countDown();
                }
            }, "sender-" + t);
            thread.start();
        }
        if (!done.await(10, TimeUnit.MINUTES) || !failures.isEmpty()) {
            throw new IllegalStateException("delivery run failed: " + failures);
        }
        archive.close();
        report("archiving before delivery (stamp, serialise, queue), 4 senders", beforeDelivery);
        report("archiving before an ack of each message (+ group commit), 4 senders", beforeAck);
    }

    private static void report(String what, long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        System.out.printf("%-70s p50 %8.3f ms   p99 %8.3f ms   max %8.3f ms   (n=%d)%n", what,
                sorted[sorted.length / 2] / 1e6, sorted[(int) Math.ceil(sorted.length * 0.99) - 1] / 1e6,
                sorted[sorted.length - 1] / 1e6, sorted.length);
    }

    private static void delete(Path directory) throws Exception {
        try (var paths = Files.walk(directory)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
