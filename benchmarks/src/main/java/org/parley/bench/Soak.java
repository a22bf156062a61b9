package org.parley.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The soak test of issue 17 (not in CI; {@code benchmarks/soak --minutes=30}): Parley under mixed load at
 * {@code --scale} times the benchmark's default (1:1 chat over TCP, WebSocket and BOSH, idle sessions) for
 * {@code --minutes}, while the server is killed with SIGKILL every {@code --kill-every} minutes and client
 * connections are dropped and reconnect all the time. At the end it checks the invariants:
 * <ul>
 *   <li>every message the server acknowledged (XEP-0198 {@code <a h/>}) reached its recipient exactly once, or,
 *       when the recipient's connection was dropped or the server killed while it was on its way, is in the
 *       recipient's archive (XEP-0313, MAM default "always" here);</li>
 *   <li>no message arrived twice;</li>
 *   <li>the heap after a full collection is flat over the last server lifetime, and back near its level before
 *       the clients came once they have gone;</li>
 *   <li>the server's file descriptors return to their level before the clients came (no leak).</li>
 * </ul>
 * Writes a report to docs/benchmarks/soak-&lt;date&gt;.md.
 */
public final class Soak {
    private static final Pattern BODY = Pattern.compile("<body>soak:(\\d+):(\\d+)</body>");
    private static final Pattern H = Pattern.compile("\\bh=['\"](\\d+)['\"]");
    private static final long MIB = 1024 * 1024;

    private final Opts o;
    private final ParleyServer server;
    private final Peer[] peers;
    private final int pairs;
    private final AtomicBoolean gate = new AtomicBoolean(false);
    private final ExecutorService sampler = Executors.newSingleThreadExecutor(Scenarios.daemon("soak-sample"));
    private final ExecutorService connector = Executors.newFixedThreadPool(16, Scenarios.daemon("soak-connect"));
    private final List<String> log = new ArrayList<>();
    private final List<long[]> samples = new ArrayList<>(); // {minute, lifetime, heapAfterGc, rss, fds}
    private final AtomicLong reconnects = new AtomicLong();
    private final AtomicLong drops = new AtomicLong();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private volatile long lastDelivery;
    private int lifetime;

    static final class Opts {
        int minutes = 30;
        int scale = 2;
        int killEvery = 10;
        int dropEveryMillis = 1000;
        int idle = -1;
        boolean keep;
        Path repo = Path.of(".").toAbsolutePath().normalize();
        List<String> jvm = List.of("-XX:+UseG1GC", "-XX:MaxGCPauseMillis=10", "-Xms256m", "-Xmx1g");

        static final String USAGE = """
                usage: benchmarks/soak [--name=value ...]   (not part of CI; see docs/benchmarks/README.md)
                  --minutes=30          duration of the load (1-1440)
                  --scale=2             times the benchmark's default load: 250 pairs and 1000 msg/s of 1:1 chat,
                                        1000 idle TCP and 500 idle web sessions per unit (1-4)
                  --idle=N              idle sessions in all, instead of 750 x scale
                  --kill-every=10       minutes between two SIGKILLs of the server (0: never)
                  --drop-every-ms=1000  a random client connection is dropped this often (0: never)
                  --parley-jvm="-XX:+UseG1GC -Xmx1g ..."
                  --keep                keep the server's directory
                """;

        static Opts parse(String[] args) {
            Opts o = new Opts();
            Options.each(args, USAGE, flag -> {
                if (!flag.equals("keep")) {
                    throw new IllegalArgumentException("expected --name=value, got --" + flag + "\n" + USAGE);
                }
                o.keep = true;
            }, (k, v) -> {
                switch (k) {
                    case "minutes" -> o.minutes = Options.bounded(k, v, 1, 1440);
                    case "scale" -> o.scale = Options.bounded(k, v, 1, 4);
                    case "idle" -> o.idle = Options.bounded(k, v, 0, 10000);
                    case "kill-every" -> o.killEvery = Options.bounded(k, v, 0, 1440);
                    case "drop-every-ms" -> o.dropEveryMillis = Options.bounded(k, v, 0, 3_600_000);
                    case "parley-jvm" -> o.jvm = Arrays.asList(v.trim().split("\\s+"));
                    case "repo" -> o.repo = Path.of(v).toAbsolutePath().normalize();
                    default -> throw new IllegalArgumentException("unknown option --" + k + "\n" + USAGE);
                }
            });
            return o;
        }
    }

    /** One account's connection, reconnected whenever it drops; senders use XEP-0198 acknowledgements. */
    private final class Peer {
        final int index;
        final Scenarios.Kind kind;
        final boolean sender;
        final int partner;
        volatile Transport t;
        final AtomicBoolean connecting = new AtomicBoolean();
        volatile long retryAt;
        // Sender state, guarded by this.
        long nextSeq;
        long[] sentAt = new long[1024];
        final BitSet acked = new BitSet();
        final ArrayDeque<Long> unacked = new ArrayDeque<>();
        long handled; // stanzas received on this connection since <enabled/> (XEP-0198 §4)
        boolean enabled;
        // Recipient state: what arrived from the partner, guarded by this.
        final BitSet received = new BitSet();

        Peer(int index, Scenarios.Kind kind, boolean sender, int partner) {
            this.index = index;
            this.kind = kind;
            this.sender = sender;
            this.partner = partner;
        }

        boolean down() {
            Transport c = t;
            return c == null || c.isClosed();
        }

        void connect() {
            try {
                Transport c = switch (kind) {
                    case TCP -> new TcpTransport("127.0.0.1", server.c2sPort);
                    case WS -> new WebSocketTransport(server.webSocket());
                    case BOSH -> new BoshTransport(server.bosh());
                };
                try {
                    Xmpp.login(c, Server.DOMAIN, Scenarios.user(index), Scenarios.password(index),
                            Xmpp.Mechanism.PLAIN, "soak");
                    if (sender) {
                        c.send("<enable xmlns='urn:xmpp:sm:3'/>");
                        String r = Xmpp.expect(c, "<", "urn:xmpp:sm:3");
                        synchronized (this) {
                            unacked.clear();
                            handled = 0;
                            ackedOnConnection = 0;
                            enabled = r.startsWith("<enabled");
                        }
                    }
                    c.listen(this::onElement);
                    if (!gate.get()) {
                        c.close(); // the server is about to be killed: do not count this one
                        return;
                    }
                    t = c;
                    reconnects.incrementAndGet();
                } catch (IOException | RuntimeException e) {
                    c.close();
                    throw e;
                }
            } catch (IOException | RuntimeException e) {
                retryAt = System.nanoTime() + 1_000_000_000L;
            } finally {
                connecting.set(false);
            }
        }

        void onElement(String e) {
            if (e.startsWith("<a ") || e.startsWith("<a>")) {
                Matcher m = H.matcher(e);
                if (m.find()) {
                    long h = Long.parseLong(m.group(1));
                    synchronized (this) {
                        // h counts every stanza of this connection; unacked holds them in order.
                        while (!unacked.isEmpty() && ackedOnConnection < h) {
                            long seq = unacked.pollFirst();
                            if (seq >= 0) {
                                acked.set((int) seq);
                            }
                            ackedOnConnection++;
                        }
                    }
                }
                return;
            }
            if (e.startsWith("<r ") || e.startsWith("<r>") || e.startsWith("<r/")) {
                long h;
                synchronized (this) {
                    h = handled;
                }
                send("<a xmlns='urn:xmpp:sm:3' h='" + h + "'/>");
                return;
            }
            if (e.startsWith("<message") || e.startsWith("<presence") || e.startsWith("<iq")) {
                synchronized (this) {
                    handled++;
                }
            }
            if (e.startsWith("<message")) {
                Matcher m = BODY.matcher(e);
                if (m.find() && !e.contains("type=\"error\"") && !e.contains("type='error'")) {
                    int seq = Integer.parseInt(m.group(2));
                    synchronized (this) {
                        if (received.get(seq)) {
                            duplicates.incrementAndGet();
                        } else {
                            received.set(seq);
                        }
                    }
                    delivered.incrementAndGet();
                    lastDelivery = System.nanoTime();
                }
            }
        }

        long ackedOnConnection;

        void send(String xml) {
            Transport c = t;
            if (c != null) {
                try {
                    c.send(xml);
                } catch (IOException | RuntimeException e) {
                    // the connection is gone; the supervisor reconnects
                }
            }
        }

        /** One chat message to the partner's bare JID, tracked for acknowledgement. */
        void chat() {
            Transport c = t;
            if (c == null || c.isClosed()) {
                return;
            }
            synchronized (this) {
                if (!enabled) {
                    return;
                }
                long seq = nextSeq;
                try {
                    c.send("<message xmlns='jabber:client' type='chat' to='" + Scenarios.user(partner)
                            + "@localhost' id='s" + seq + "'><body>soak:" + index + ":" + seq + "</body></message>");
                } catch (IOException | RuntimeException e) {
                    return;
                }
                nextSeq++;
                if (seq >= sentAt.length) {
                    sentAt = Arrays.copyOf(sentAt, sentAt.length * 2);
                }
                sentAt[(int) seq] = System.currentTimeMillis();
                unacked.addLast(seq);
                sent.incrementAndGet();
                if (unacked.size() % 8 == 0) {
                    try {
                        c.send("<r xmlns='urn:xmpp:sm:3'/>");
                    } catch (IOException | RuntimeException ignored) {
                        // reconnect follows
                    }
                }
            }
        }

        void drop() {
            Transport c = t;
            if (c instanceof TcpTransport tcp && ThreadLocalRandom.current().nextBoolean()) {
                tcp.abort();
            } else if (c != null) {
                c.close();
            }
        }

    }

    private Soak(Opts o, Path work) throws IOException {
        this.o = o;
        this.server = new ParleyServer(work.resolve("parley"), o.repo, o.jvm, true) {
            @Override
            List<String> command() {
                List<String> c = new ArrayList<>(super.command());
                // The end check reads many archives; offline storage must not refuse what the archive keeps.
                c.addAll(List.of("-D", "limits.archive-queries-per-minute=1000000", "-D", "limits.offline-per-user=1000000",
                        "-D", "proxy.port=0")); // the machine is shared: no fixed port
                return c;
            }
        };
        pairs = 250 * o.scale;
        int idle = o.idle >= 0 ? o.idle : 750 * o.scale;
        peers = new Peer[2 * pairs + idle];
        Scenarios.Kind[] kinds = Scenarios.Kind.values();
        for (int p = 0; p < pairs; p++) {
            // Senders on TCP and WebSocket (XEP-0198 there), recipients on all three transports.
            peers[2 * p] = new Peer(2 * p, p % 2 == 0 ? Scenarios.Kind.TCP : Scenarios.Kind.WS, true, 2 * p + 1);
            peers[2 * p + 1] = new Peer(2 * p + 1, kinds[p % 3], false, 2 * p);
        }
        for (int i = 2 * pairs; i < peers.length; i++) {
            // Idle: two thirds TCP, the rest WebSocket and BOSH, as the benchmark's 1000 + 500.
            int k = i % 6;
            peers[i] = new Peer(i, k < 4 ? Scenarios.Kind.TCP : k == 4 ? Scenarios.Kind.WS : Scenarios.Kind.BOSH,
                    false, -1);
        }
    }

    public static void main(String[] args) throws Exception {
        Opts o = Options.parseOrExit("soak", args, Opts::parse);
        Path work = Files.createTempDirectory("parley-soak-");
        Soak soak = new Soak(o, work);
        Runtime.getRuntime().addShutdownHook(new Thread(soak.server::stop));
        String report;
        try {
            report = soak.run(String.join(" ", args));
        } finally {
            soak.server.stop();
        }
        Path out = o.repo.resolve("docs/benchmarks/soak-" + LocalDate.now(ZoneOffset.UTC) + ".md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, report);
        System.out.println(report);
        System.out.println("written: " + out + (o.keep ? " (server files kept in " + work + ")" : ""));
        if (!o.keep) {
            try (var paths = Files.walk(work)) {
                for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
        System.exit(report.contains("**FAILED**") ? 1 : 0);
    }

    private void note(String s) {
        String line = "[" + java.time.LocalTime.now(ZoneOffset.UTC).withNano(0) + "] " + s;
        System.err.println(line);
        synchronized (log) {
            log.add(line);
        }
    }

    private String run(String args) throws Exception {
        ZonedDateTime started = ZonedDateTime.now(ZoneOffset.UTC);
        note("registering " + peers.length + " accounts");
        startServer();
        Scenarios.runAll(peers.length, 16, i -> {
            try (Transport t = new TcpTransport("127.0.0.1", server.c2sPort)) {
                Xmpp.register(t, Server.DOMAIN, Scenarios.user(i), Scenarios.password(i));
            }
            return null;
        });
        long[] baseline = measure(); // heap after GC and fds before any client session
        note("baseline: heap after GC " + baseline[0] / MIB + " MiB, fds " + baseline[2]);
        gate.set(true);
        Thread supervisor = Scenarios.daemon("soak-supervisor").newThread(this::supervise);
        supervisor.start();
        awaitConnected(120);
        note("connected: " + connected() + " of " + peers.length);

        int rate = 1000 * o.scale;
        long t0 = System.nanoTime();
        long end = t0 + o.minutes * 60_000_000_000L;
        long nextKill = o.killEvery > 0 ? t0 + o.killEvery * 60_000_000_000L : Long.MAX_VALUE;
        long nextSample = t0 + 60_000_000_000L;
        long nextDrop = t0 + o.dropEveryMillis * 1_000_000L;
        long k = 0;
        int minute = 0;
        while (System.nanoTime() < end) {
            long now = System.nanoTime();
            if (now >= nextKill && end - now > 3 * 60_000_000_000L) {
                crash();
                nextKill = System.nanoTime() + o.killEvery * 60_000_000_000L;
                continue;
            }
            if (now >= nextSample) {
                int m = ++minute;
                int life = lifetime;
                sampler.execute(() -> sample(m, life)); // off the pacing thread: a full GC takes a while
                nextSample += 60_000_000_000L;
            }
            if (o.dropEveryMillis > 0 && now >= nextDrop) {
                peers[ThreadLocalRandom.current().nextInt(peers.length)].drop();
                drops.incrementAndGet();
                nextDrop += o.dropEveryMillis * 1_000_000L;
            }
            // Open loop at `rate` messages a second over all pairs, round robin.
            long due = t0 + (long) (k * 1e9 / rate);
            if (due > now) {
                Scenarios.sleepUntil(Math.min(due, now + 50_000_000L));
                continue;
            }
            peers[2 * (int) (k % pairs)].chat();
            k++;
            if (now - due > 5_000_000_000L) {
                k += (long) ((now - due) / 1e9 * rate); // far behind (a restart): skip rather than burst
            }
        }
        double minutesRun = (System.nanoTime() - t0) / 60e9;
        sampler.shutdown();
        sampler.awaitTermination(2, java.util.concurrent.TimeUnit.MINUTES);
        note("load stopped after " + String.format("%.1f", minutesRun) + " min; collecting acknowledgements");
        for (int p = 0; p < pairs; p++) {
            peers[2 * p].send("<r xmlns='urn:xmpp:sm:3'/>");
        }
        // Drain: until nothing has arrived for 10 s (at most 2 minutes).
        long drainEnd = System.nanoTime() + 120_000_000_000L;
        while (System.nanoTime() < drainEnd && System.nanoTime() - lastDelivery < 10_000_000_000L) {
            Thread.sleep(500); // a load tool polling its own counters
        }
        // Acknowledgements are final now: drops after this point would only lose <a/>s.
        gate.set(false);
        supervisor.interrupt();
        supervisor.join(5000);
        Check check = check();
        for (Peer p : peers) {
            Transport c = p.t;
            if (c != null) {
                c.close();
            }
        }
        Thread.sleep(30_000); // let the server notice every close (BOSH sessions end by inactivity)
        long[] after = measure();
        long live = liveConnections();
        note("after the clients left: heap after GC " + after[0] / MIB + " MiB, fds " + after[2] + ", of them "
                + live + " idle HTTP keep-alive connections of the load generator");
        after[2] -= live;
        long dbBytes = databaseBytes();
        return report(args, started, minutesRun, baseline, after, check, dbBytes);
    }

    private void sample(int minute, int life) {
        try {
            long[] m = measure();
            synchronized (samples) {
                samples.add(new long[] {minute, life, m[0], m[1], m[2]});
            }
            note(String.format("minute %d: sent %d, delivered %d, heap after GC %d MiB, RSS %d MiB, fds %d, "
                    + "connected %d, reconnects %d, load %s", minute, sent.get(), delivered.get(), m[0] / MIB,
                    m[1] / MIB, m[2], connected(), reconnects.get(), load()));
        } catch (RuntimeException e) {
            note("minute " + minute + ": no sample (" + e.getMessage() + ")");
        }
    }

    private long databaseBytes() throws IOException {
        try (var files = Files.walk(server.dir)) {
            return files.filter(Files::isRegularFile).filter(p -> p.getFileName().toString().contains(".db"))
                    .mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }

    private void startServer() throws Exception {
        lifetime++;
        long t0 = server.start();
        long deadline = t0 + 120_000_000_000L;
        while (true) {
            if (!server.alive()) {
                throw new IOException("Parley exited:\n" + server.tailOfLog());
            }
            try (Transport t = new TcpTransport("127.0.0.1", server.c2sPort)) {
                Xmpp.secure(t, Server.DOMAIN);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("Parley did not start: " + e + "\n" + server.tailOfLog());
                }
                Thread.sleep(100); // polling a starting server's port
            }
        }
    }

    /** SIGKILL, then a restart on the same data; the clients reconnect on their own. */
    private void crash() throws Exception {
        gate.set(false);
        note("kill -9 of the server (lifetime " + lifetime + "), " + connected() + " connected");
        server.kill();
        startServer();
        note("restarted (lifetime " + lifetime + ")");
        gate.set(true);
    }

    /**
     * Established TCP connections whose local end is one of the server's ports: the load generator's HTTP client
     * keeps idle keep-alive connections for minutes, and their server ends are descriptors that are not leaked.
     */
    private long liveConnections() {
        long n = 0;
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try {
                for (String line : Files.readAllLines(Path.of(table))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 3 && f[3].equals("01") && f[1].contains(":")) {
                        int port = Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16);
                        if (port == server.c2sPort || port == server.httpPort) {
                            n++;
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                // no such table
            }
        }
        return n;
    }

    /** {heap after a full GC, RSS, open file descriptors} of the server. */
    private long[] measure() {
        long heap = server.heapAfterGc();
        long rss = ProcStats.rssBytes(server.pid());
        long fds;
        try (var s = Files.list(Path.of("/proc", String.valueOf(server.pid()), "fd"))) {
            fds = s.count();
        } catch (IOException e) {
            fds = -1;
        }
        return new long[] {heap, rss, fds};
    }

    private int connected() {
        int n = 0;
        for (Peer p : peers) {
            if (!p.down()) {
                n++;
            }
        }
        return n;
    }

    private void awaitConnected(int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (connected() < peers.length && System.nanoTime() < deadline) {
            Thread.sleep(500);
        }
    }

    /** Reconnects every dropped peer (16 logins at a time) while the gate is open. */
    private void supervise() {
        while (!Thread.currentThread().isInterrupted()) {
            if (gate.get()) {
                long now = System.nanoTime();
                for (Peer p : peers) {
                    if (p.down() && now >= p.retryAt && p.connecting.compareAndSet(false, true)) {
                        connector.execute(p::connect);
                    }
                }
                // Ask senders for acknowledgements now and then, so that quiet pairs are acknowledged too.
                for (int i = 0; i < pairs; i++) {
                    peers[2 * i].send("<r xmlns='urn:xmpp:sm:3'/>");
                }
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private record Check(long acked, long once, long archived, long lost, long duplicates, long unackedDelivered,
                         List<String> lostExamples) {
    }

    /** Compares what was acknowledged with what arrived; looks up the rest in the recipients' archives. */
    private Check check() throws Exception {
        long acked = 0;
        long once = 0;
        long archived = 0;
        long lost = 0;
        long unackedDelivered = 0;
        List<String> examples = new ArrayList<>();
        for (int p = 0; p < pairs; p++) {
            Peer s = peers[2 * p];
            Peer r = peers[2 * p + 1];
            BitSet missing;
            long firstMissingAt;
            synchronized (s) {
                synchronized (r) {
                    acked += s.acked.cardinality();
                    BitSet both = (BitSet) s.acked.clone();
                    both.and(r.received);
                    once += both.cardinality();
                    BitSet extra = (BitSet) r.received.clone();
                    extra.andNot(s.acked);
                    unackedDelivered += extra.cardinality();
                    missing = (BitSet) s.acked.clone();
                    missing.andNot(r.received);
                    firstMissingAt = missing.isEmpty() ? 0 : s.sentAt[missing.nextSetBit(0)];
                }
            }
            if (missing.isEmpty()) {
                continue;
            }
            BitSet inArchive = archive(r.index, s.index, firstMissingAt - 60_000);
            BitSet found = (BitSet) missing.clone();
            found.and(inArchive);
            archived += found.cardinality();
            missing.andNot(inArchive);
            lost += missing.cardinality();
            for (int seq = missing.nextSetBit(0); seq >= 0 && examples.size() < 10; seq = missing.nextSetBit(seq + 1)) {
                examples.add("u" + s.index + " → u" + r.index + " #" + seq + " sent "
                        + Instant.ofEpochMilli(s.sentAt[seq]));
            }
        }
        return new Check(acked, once, archived, lost, duplicates.get(), unackedDelivered, examples);
    }

    /** Sequence numbers of the messages from {@code from} in {@code owner}'s archive (XEP-0313 with RSM paging). */
    private BitSet archive(int owner, int from, long sinceMillis) throws Exception {
        BitSet seqs = new BitSet();
        try (Transport t = new TcpTransport("127.0.0.1", server.c2sPort)) {
            Xmpp.login(t, Server.DOMAIN, Scenarios.user(owner), Scenarios.password(owner), Xmpp.Mechanism.PLAIN,
                    "soak-check");
            String after = null;
            for (int page = 0; page < 1000; page++) {
                String id = "mam" + page;
                t.send("<iq type='set' id='" + id + "' xmlns='jabber:client'><query xmlns='urn:xmpp:mam:2' queryid='"
                        + id + "'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'>"
                        + "<value>urn:xmpp:mam:2</value></field><field var='with'><value>" + Scenarios.user(from)
                        + "@localhost</value></field><field var='start'><value>" + Instant.ofEpochMilli(sinceMillis)
                        + "</value></field></x><set xmlns='http://jabber.org/protocol/rsm'><max>100</max>"
                        + (after == null ? "" : "<after>" + after + "</after>") + "</set></query></iq>");
                String fin = null;
                while (fin == null) {
                    String e = t.next(60_000);
                    if (e.startsWith("<message")) {
                        Matcher m = BODY.matcher(e);
                        if (m.find() && Integer.parseInt(m.group(1)) == from) {
                            seqs.set(Integer.parseInt(m.group(2)));
                        }
                    } else if (e.startsWith("<iq") && id.equals(StanzaSplitter.attr(e, "id"))) {
                        fin = e;
                    }
                }
                if (!fin.contains("<fin") || fin.contains("complete='true'") || fin.contains("complete=\"true\"")) {
                    break;
                }
                Matcher last = Pattern.compile("<last>([^<]+)</last>").matcher(fin);
                if (!last.find()) {
                    break;
                }
                after = last.group(1);
            }
        }
        return seqs;
    }

    private String report(String args, ZonedDateTime started, double minutesRun, long[] baseline, long[] after,
            Check c, long dbBytes) {
        StringBuilder b = new StringBuilder("# Soak test, ").append(started.toLocalDate()).append("\n\n");
        b.append("Command: `nice benchmarks/soak").append(args.isEmpty() ? "" : " " + args).append("` (started ")
                .append(started.withNano(0)).append(", ran ").append(String.format("%.1f", minutesRun))
                .append(" min)\n\n");
        b.append("## Machine\n\n").append(Machine.describe()).append('\n');
        b.append("## Load\n\n");
        b.append("- ").append(pairs).append(" pairs of 1:1 chat at ").append(1000 * o.scale)
                .append(" msg/s offered in all (senders on TCP and WebSocket with XEP-0198, recipients on TCP, "
                        + "WebSocket and BOSH), ")
                .append(peers.length - 2 * pairs).append(" idle sessions (TCP, WebSocket, BOSH): ")
                .append(o.scale).append("× the benchmark's defaults\n");
        b.append("- server killed with SIGKILL every ").append(o.killEvery).append(" min (").append(lifetime - 1)
                .append(" kills), a random client connection dropped every ").append(o.dropEveryMillis)
                .append(" ms (").append(drops.get()).append(" drops), ").append(reconnects.get())
                .append(" logins in all\n");
        b.append("- sent ").append(sent.get()).append(" messages (").append(String.format("%.0f",
                sent.get() / (minutesRun * 60))).append(" msg/s achieved), ").append(delivered.get())
                .append(" deliveries received\n\n");
        b.append("## Invariants\n\n");
        boolean deliveryOk = c.lost == 0 && c.duplicates == 0;
        b.append("| invariant | figure | verdict |\n|---|---|---|\n");
        b.append("| acknowledged messages (XEP-0198) | ").append(c.acked).append(" | |\n");
        b.append("| … delivered exactly once | ").append(c.once).append(" | |\n");
        b.append("| … not delivered, in the recipient's archive | ").append(c.archived).append(" | |\n");
        b.append("| … lost (neither) | ").append(c.lost).append(" | ").append(c.lost == 0 ? "ok" : "**FAILED**")
                .append(" |\n");
        b.append("| messages delivered twice | ").append(c.duplicates).append(" | ")
                .append(c.duplicates == 0 ? "ok" : "**FAILED**").append(" |\n");
        b.append("| unacknowledged messages delivered anyway | ").append(c.unackedDelivered).append(" | (fine) |\n");
        // Memory: the heap after GC over the last lifetime's samples, and after the clients left.
        List<long[]> last;
        synchronized (samples) {
            last = samples.stream().filter(s -> s[1] == lifetime).toList();
        }
        String flat = "not enough samples";
        boolean memOk = true;
        if (last.size() >= 3) {
            long first = last.get(1)[2]; // the first minute still has the reconnection storm in it
            long end = last.get(last.size() - 1)[2];
            memOk = end <= first * 5 / 4 + 32 * MIB;
            flat = (first / MIB) + " → " + (end / MIB) + " MiB over minutes " + last.get(1)[0] + "–"
                    + last.get(last.size() - 1)[0];
        }
        b.append("| heap after GC under load, last lifetime | ").append(flat).append(" | ")
                .append(memOk ? "ok (within 25 % + 32 MiB)" : "**FAILED**").append(" |\n");
        boolean idleMem = after[0] <= baseline[0] * 3 / 2 + 32 * MIB;
        b.append("| heap after GC, before clients → after they left | ").append(baseline[0] / MIB).append(" → ")
                .append(after[0] / MIB).append(" MiB | ").append(idleMem ? "ok" : "**FAILED**").append(" |\n");
        boolean fdOk = after[2] <= baseline[2] + 16;
        b.append("| server file descriptors, before clients → after they left (minus the generator's idle HTTP "
                + "keep-alive connections) | ").append(baseline[2])
                .append(" → ").append(after[2]).append(" | ").append(fdOk ? "ok (≤ +16)" : "**FAILED**")
                .append(" |\n");
        b.append("| database files at the end | ").append(dbBytes / MIB).append(" MiB | |\n\n");
        if (!c.lostExamples.isEmpty()) {
            b.append("Lost messages (first 10): ").append(String.join("; ", c.lostExamples)).append("\n\n");
        }
        b.append("Verdict: ").append(deliveryOk && memOk && idleMem && fdOk ? "passed" : "**FAILED**")
                .append("\n\n## Per minute\n\n| minute | server lifetime | heap after GC (MiB) | RSS (MiB) | fds |\n"
                        + "|---|---|---|---|---|\n");
        synchronized (samples) {
            for (long[] s : samples) {
                b.append("| ").append(s[0]).append(" | ").append(s[1]).append(" | ").append(s[2] / MIB)
                        .append(" | ").append(s[3] / MIB).append(" | ").append(s[4]).append(" |\n");
            }
        }
        b.append("\n## Log\n\n```\n");
        synchronized (log) {
            log.forEach(l -> b.append(l).append('\n'));
        }
        return b.append("```\n").toString();
    }
}
