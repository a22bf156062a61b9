package org.parley.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The benchmark scenarios against one running server. Every scenario measures the server's CPU time
 * (utime+stime from /proc) and the generator's own over the same window, counts delivered against
 * expected, and records latencies in microseconds with HdrHistogram.
 */
final class Scenarios {
    enum Kind { TCP, WS, BOSH }

    private static final long DRAIN_MS = 15_000;
    private final Server server;
    private final Options o;
    private final Table table;
    private final List<String> notes;

    Scenarios(Server server, Options o, Table table, List<String> notes) {
        this.server = server;
        this.o = o;
        this.table = table;
        this.notes = notes;
    }

    static String user(int i) {
        return "u" + i;
    }

    static String password(int i) {
        return "password-" + i;
    }

    private void put(String scenario, String figure, String unit, double v) {
        table.put(server.name, scenario, figure, unit, v);
    }

    Transport connect(Kind kind) throws IOException {
        return connect(kind, server.forClient(0));
    }

    private static Transport connect(Kind kind, Server to) throws IOException {
        return switch (kind) {
            case TCP -> new TcpTransport("127.0.0.1", to.c2sPort);
            case WS -> new WebSocketTransport(to.webSocket());
            case BOSH -> new BoshTransport(to.bosh());
        };
    }

    /** Logs in user i on the node it is assigned to (a cluster spreads its users round robin). */
    Transport login(Kind kind, int i) throws IOException {
        Transport t = connect(kind, server.forClient(i));
        try {
            Xmpp.login(t, Server.DOMAIN, user(i), password(i), o.mechanism, "b" + i);
            return t;
        } catch (IOException | RuntimeException e) {
            t.close();
            throw e;
        }
    }

    /** Creates accounts u0..u(n-1) by in-band registration (XEP-0077) over TCP+TLS. */
    void register(int n) throws Exception {
        runAll(n, 8, i -> {
            try (Transport t = connect(Kind.TCP)) {
                Xmpp.register(t, Server.DOMAIN, user(i), password(i));
            }
            return null;
        });
    }

    /** Waits for the server to accept a login after start; returns nanoseconds since startNanos. */
    long firstLogin(long startNanos, long timeoutMs) throws Exception {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        Exception last = null;
        while (System.nanoTime() < deadline) {
            if (!server.alive()) {
                throw new IOException(server.name + " exited:\n" + server.tailOfLog());
            }
            try {
                Transport t = login(Kind.TCP, 0);
                long at = System.nanoTime() - startNanos;
                t.close();
                return at;
            } catch (IOException e) {
                last = e;
                Thread.sleep(20); // polling a starting server's port
            }
        }
        throw new IOException(server.name + " did not accept a login within " + timeoutMs + " ms: " + last
                + "\n" + server.tailOfLog());
    }

    /** Registers account 0 (XEP-0077) as soon as a just-started server accepts it (the cold start tool's first start). */
    void firstRegistration(long startNanos) throws Exception {
        long deadline = startNanos + 180_000_000_000L;
        Exception last = null;
        while (System.nanoTime() < deadline) {
            if (!server.alive()) {
                throw new IOException(server.name + " exited:\n" + server.tailOfLog());
            }
            try (Transport t = connect(Kind.TCP)) {
                Xmpp.register(t, Server.DOMAIN, user(0), password(0));
                return;
            } catch (IOException e) {
                last = e;
                Thread.sleep(50); // polling a starting server's port
            }
        }
        throw new IOException(server.name + " did not accept a registration within 180 s: " + last + "\n" + server.tailOfLog());
    }

    /** Scenario 1: N logins offered at a fixed rate (open loop: latency counts from the scheduled start). */
    void loginStorm(boolean measured) throws Exception {
        int n = o.logins;
        Recorder rec = new Recorder(3);
        AtomicLong ok = new AtomicLong();
        AtomicLong lastDone = new AtomicLong();
        ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(n, o.loginThreads), daemon("bench-login"));
        CountDownLatch done = new CountDownLatch(n);
        Window w = new Window(server.pids());
        long t0 = System.nanoTime() + 50_000_000;
        for (int i = 0; i < n; i++) {
            long at = t0 + (long) (i * 1e9 / o.loginRate);
            sleepUntil(at);
            int u = i;
            pool.execute(() -> {
                try {
                    Transport t = login(Kind.TCP, u);
                    long end = System.nanoTime();
                    rec.recordValue(Math.max(1, (end - at) / 1000));
                    lastDone.accumulateAndGet(end, Math::max);
                    ok.incrementAndGet();
                    t.close();
                } catch (Exception e) {
                    errors.add(e.toString());
                } finally {
                    done.countDown();
                }
            });
        }
        done.await(120, TimeUnit.SECONDS);
        pool.shutdownNow();
        w.end();
        if (!measured) {
            return;
        }
        String sc = "1 login storm (TCP, " + o.mechanism + ")";
        Histogram h = rec.getIntervalHistogram();
        put(sc, "logins ok / offered", "%", 100.0 * ok.get() / n);
        put(sc, "logins/s (offered " + o.loginRate + ")", "", ok.get() / ((lastDone.get() - t0) / 1e9));
        put(sc, "login latency p50", "ms", h.getValueAtPercentile(50) / 1000.0);
        put(sc, "login latency p99", "ms", h.getValueAtPercentile(99) / 1000.0);
        put(sc, "server CPU per login", "ms", w.serverCpu / 1e6 / Math.max(1, ok.get()));
        if (w.compilerCpu > 0) {
            put(sc, "of which JIT compiler", "ms", w.compilerCpu / 1e6 / Math.max(1, ok.get()));
        }
        put(sc, "generator CPU", "cores", w.selfCpu / (double) w.wall);
        errorNote(sc, errors);
    }

    /** Scenario 2: pairs exchanging 1:1 messages at a fixed total rate. */
    void chat(Kind kind) throws Exception {
        int users = 2 * o.pairs;
        Recorder rec = new Recorder(3);
        AtomicLong delivered = new AtomicLong();
        List<Transport> ts = loginAll(kind, 0, users);
        try {
            for (Transport t : ts) {
                t.listen(latencyListener("chat", rec, delivered));
            }
            long total = (long) o.chatRate * o.seconds;
            String[] stanzas = new String[users];
            for (int i = 0; i < users; i++) {
                int partner = i % 2 == 0 ? i + 1 : i - 1;
                stanzas[i] = "<message xmlns='jabber:client' type='chat' to='" + user(partner) + "@" + Server.DOMAIN
                        + "'><body>t=";
            }
            Send send = k -> {
                int from = (int) (k % users);
                ts.get(from).send(stanzas[from] + System.nanoTime() + "</body></message>");
            };
            warmUp(o.chatRate, 1, send, rec, delivered);
            Window w = new Window(server.pids());
            long sent = paced(total, o.chatRate, send);
            awaitCount(delivered, sent);
            w.end();
            report("2 1:1 chat " + kind + " (" + o.pairs + " pairs, " + o.chatRate + " msg/s)", rec, delivered.get(), total, w,
                    "delivery");
        } finally {
            ts.forEach(Transport::close);
        }
    }

    /**
     * Scenario 3: K rooms × M occupants; posts at a fixed rate, each delivered to every occupant (the
     * poster gets its reflection, XEP-0045 §7.4). With posterKind set, one extra occupant per room on
     * that transport does all the posting (TCP poster to WebSocket receivers, issue #4).
     */
    void fanout(Kind kind, int rooms, int occupants, int postRate, Kind posterKind, String label) throws Exception {
        Recorder rec = new Recorder(3);
        AtomicLong delivered = new AtomicLong();
        int base = 2 * o.pairs; // users after the chat ones, so sessions of the previous scenario do not matter
        List<List<Transport>> roomTs = new ArrayList<>();
        List<Transport> posters = new ArrayList<>();
        List<Transport> all = new ArrayList<>();
        String tag = Long.toString(System.nanoTime() % 100000, 36);
        try {
            for (int r = 0; r < rooms; r++) {
                String room = "r" + tag + "x" + r + "@" + Server.MUC;
                List<Transport> ts = loginAll(kind, base + r * occupants, occupants);
                all.addAll(ts);
                roomTs.add(ts);
                for (int m = 0; m < ts.size(); m++) {
                    join(ts.get(m), room, "n" + m, m == 0);
                }
                if (posterKind != null) {
                    Transport p = login(posterKind, base + rooms * occupants + r);
                    all.add(p);
                    join(p, room, "poster", false);
                    posters.add(p);
                }
            }
            int perRoom = occupants + (posterKind != null ? 1 : 0);
            for (Transport t : all) {
                t.listen(latencyListener("groupchat", rec, delivered));
            }
            long total = (long) postRate * o.seconds;
            String[] prefix = new String[rooms];
            for (int r = 0; r < rooms; r++) {
                prefix[r] = "<message xmlns='jabber:client' type='groupchat' to='r" + tag + "x" + r + "@" + Server.MUC
                        + "'><body>t=";
            }
            Send send = k -> {
                int r = (int) (k % rooms);
                Transport from = posterKind != null ? posters.get(r)
                        : roomTs.get(r).get((int) ((k / rooms) % occupants));
                from.send(prefix[r] + System.nanoTime() + "</body></message>");
            };
            warmUp(postRate, perRoom, send, rec, delivered);
            long gcFrom = gcLogSize();
            Window w = new Window(server.pids());
            long sent = paced(total, postRate, send);
            awaitCount(delivered, sent * perRoom);
            w.end();
            String sc = label + " (" + rooms + "×" + perRoom + ", " + (long) postRate * perRoom + " deliveries/s)";
            report(sc, rec, delivered.get(), total * perRoom, w, "delivery");
            gcPauses(sc, gcFrom);
        } finally {
            all.forEach(Transport::close);
        }
    }

    private void join(Transport t, String room, String nick, boolean creator) throws IOException {
        t.send("<presence xmlns='jabber:client' to='" + room + "/" + nick + "'><x xmlns='http://jabber.org/protocol/muc'>"
                + "<history maxstanzas='0'/></x></presence>");
        String self = Xmpp.expect(t, "<presence", "110");
        if (self.contains("type='error'") || self.contains("type=\"error\"")) {
            throw new IOException("join failed: " + self);
        }
        if (creator && (self.contains("'201'") || self.contains("\"201\""))) {
            // XEP-0045 §10.1.2: accept the default configuration (an instant room) to unlock it.
            t.send("<iq xmlns='jabber:client' type='set' id='cfg1' to='" + room + "'><query xmlns="
                    + "'http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>");
            String r = Xmpp.expectIq(t, "cfg1");
            if (!"result".equals(StanzaSplitter.attr(r, "type"))) {
                throw new IOException("room configuration failed: " + r);
            }
        }
    }

    /** Scenario 4: C idle authenticated sessions with presence; memory per session. */
    void idle(Kind kind, int count) throws Exception {
        long pid = server.pid();
        long heap0 = server.heapAfterGc();
        long rss0 = ProcStats.rssBytes(pid);
        List<Transport> ts = loginAll(kind, 0, count);
        try {
            long heap1 = server.heapAfterGc();
            long rss1 = ProcStats.rssBytes(pid);
            String sc = "4 idle " + kind + " (" + ts.size() + " sessions)";
            put(sc, "sessions ok / offered", "%", 100.0 * ts.size() / count);
            put(sc, "RSS per session", "KiB", (rss1 - rss0) / 1024.0 / Math.max(1, ts.size()));
            if (heap0 >= 0) {
                put(sc, "heap after GC per session", "KiB", (heap1 - heap0) / 1024.0 / Math.max(1, ts.size()));
            }
            put(sc, "server threads", "", ProcStats.threads(pid));
        } finally {
            ts.forEach(Transport::close);
        }
    }

    void coldStart(long startNanos) throws Exception {
        long t = firstLogin(startNanos, 180_000);
        put("0 cold start", "start to first login", "ms", t / 1e6);
        // CPU time spent until then: on a busy machine the wall time above mostly measures waiting for a CPU.
        put("0 cold start", "server CPU to first login", "ms", ProcStats.cpuNanos(server.pid()) / 1e6);
        put("0 cold start", "RSS of the fresh server", "MiB", ProcStats.rssBytes(server.pid()) / 1048576.0);
        long heap = server.heapAfterGc();
        if (heap >= 0) {
            put("0 cold start", "heap after GC, fresh", "MiB", heap / 1048576.0);
        }
    }

    // --- helpers -------------------------------------------------------------------------------

    private Consumer<String> latencyListener(String type, Recorder rec, AtomicLong delivered) {
        return s -> {
            if (!s.startsWith("<message")) {
                return;
            }
            int b = s.indexOf("<body");
            if (b < 0) {
                return;
            }
            int t = s.indexOf(">t=", b);
            if (t < 0) {
                return;
            }
            long now = System.nanoTime();
            int e = s.indexOf('<', t + 3);
            long sentAt = Long.parseLong(s, t + 3, e, 10);
            rec.recordValue(Math.max(1, (now - sentAt) / 1000));
            delivered.incrementAndGet();
        };
    }

    private List<Transport> loginAll(Kind kind, int from, int n) throws Exception {
        List<Transport> ts = runAll(n, o.loginThreads, i -> login(kind, from + i));
        if (ts.size() < n) {
            ts.forEach(Transport::close);
            throw new IOException(kind + ": only " + ts.size() + " of " + n + " logins succeeded");
        }
        return ts;
    }

    interface Task<T> {
        T run(int i) throws Exception;
    }

    /** Runs task(0..n-1) on a few threads; returns the non-null results in index order. */
    static <T> List<T> runAll(int n, int threads, Task<T> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(n, threads)), daemon("bench-setup"));
        try {
            List<Future<T>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i;
                fs.add(pool.submit(() -> task.run(k)));
            }
            List<T> out = new ArrayList<>();
            Exception first = null;
            for (Future<T> f : fs) {
                try {
                    T v = f.get(120, TimeUnit.SECONDS);
                    if (v != null) {
                        out.add(v);
                    }
                } catch (Exception e) {
                    if (first == null) {
                        first = e;
                    }
                }
            }
            if (first != null && out.isEmpty() && n > 0) {
                throw first;
            }
            if (first != null) {
                System.err.println("  (" + (n - out.size()) + " of " + n + " failed, first: " + first + ")");
            }
            return Collections.unmodifiableList(out);
        } finally {
            pool.shutdownNow();
        }
    }

    interface Send {
        void send(long k) throws IOException;
    }

    /**
     * The unmeasured warm-up round of a message scenario: the same sessions and traffic for
     * {@code --warm-up} seconds, so that the measured window shows the steady state of every server (a
     * JVM compiles its hot paths during the first seconds of new traffic; Erlang and Lua do not), then
     * the recorder and the delivery count start again from zero. The cost of a cold path is reported by
     * the cold start scenario and, with {@code --warm-up=0}, by the message scenarios themselves.
     */
    private void warmUp(int rate, int perMessage, Send send, Recorder rec, AtomicLong delivered)
            throws InterruptedException {
        if (o.warmUpSeconds == 0) {
            return;
        }
        long sent = paced((long) rate * o.warmUpSeconds, rate, send);
        // A JVM's compiler may still be busy with this traffic's paths: go on, one second at a time, until
        // it is nearly idle (under 5 % of a core), for at most 30 s more.
        for (int extra = 0; extra < 30; extra++) {
            long jit = ProcStats.compilerCpuNanos(server.pids());
            sent += paced(rate, rate, send);
            if (ProcStats.compilerCpuNanos(server.pids()) - jit < 50_000_000L) {
                break;
            }
        }
        awaitCount(delivered, sent * perMessage);
        rec.reset();
        delivered.set(0);
    }

    /** Calls send(k) for k = 0..total-1 at rate per second on this thread; returns how many were sent. */
    private static long paced(long total, int rate, Send send) {
        long t0 = System.nanoTime();
        long sent = 0;
        for (long k = 0; k < total; k++) {
            sleepUntil(t0 + (long) (k * 1e9 / rate));
            try {
                send.send(k);
                sent++;
            } catch (IOException e) {
                // counted as not delivered
            }
        }
        return sent;
    }

    private static void awaitCount(AtomicLong count, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + DRAIN_MS * 1_000_000;
        while (count.get() < expected && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }

    private void report(String sc, Recorder rec, long delivered, long expected, Window w, String what) {
        Histogram h = rec.getIntervalHistogram();
        put(sc, "delivered / expected", "%", 100.0 * delivered / Math.max(1, expected));
        put(sc, "latency p50", "ms", h.getValueAtPercentile(50) / 1000.0);
        put(sc, "latency p99", "ms", h.getValueAtPercentile(99) / 1000.0);
        put(sc, "latency p99.9", "ms", h.getValueAtPercentile(99.9) / 1000.0);
        put(sc, "deliveries/s", "", delivered / (w.wall / 1e9));
        put(sc, "server CPU per " + what, "µs", w.serverCpu / 1e3 / Math.max(1, delivered));
        if (w.compilerCpu > 0) {
            put(sc, "of which JIT compiler", "µs", w.compilerCpu / 1e3 / Math.max(1, delivered));
            put(sc, "server CPU per " + what + " without JIT", "µs",
                    (w.serverCpu - w.compilerCpu) / 1e3 / Math.max(1, delivered));
        }
        // The same work on the generator's side in every run: its CPU per delivery shows how much the machine's
        // contention inflated CPU times in this window.
        put(sc, "generator CPU per " + what, "µs", w.selfCpu / 1e3 / Math.max(1, delivered));
        put(sc, "generator CPU", "cores", w.selfCpu / (double) w.wall);
        put(sc, "server busy after last delivery", "s", w.settle / 1e9);
        // The machine may be shared: the figures above are read next to how busy it was.
        put(sc, "load average (1 min) at the end", "", Machine.loadAverage());
        if (delivered < expected) {
            notes.add(server.name + ", " + sc + ": " + delivered + " of " + expected + " delivered (FAILURE)");
        }
    }

    private void errorNote(String sc, ConcurrentLinkedQueue<String> errors) {
        if (!errors.isEmpty()) {
            notes.add(server.name + ", " + sc + ": " + errors.size() + " failed, first: " + errors.peek());
        }
    }

    private long gcLogSize() {
        Path log = server.gcLog();
        try {
            return log == null ? -1 : Files.size(log);
        } catch (IOException e) {
            return -1;
        }
    }

    private static final Pattern PAUSE = Pattern.compile("Pause.* (\\d+\\.\\d+)ms\\s*$");

    /** GC pauses logged (-Xlog:gc) since offset: p99 and max, in ms. */
    private void gcPauses(String sc, long from) throws IOException {
        Path log = server.gcLog();
        if (log == null || from < 0) {
            return;
        }
        byte[] all = Files.readAllBytes(log);
        String part = new String(all, (int) Math.min(from, all.length), (int) Math.max(0, all.length - from));
        Histogram h = new Histogram(3);
        for (String line : part.split("\n")) {
            Matcher m = PAUSE.matcher(line);
            if (m.find()) {
                h.recordValue(Math.max(1, (long) (Double.parseDouble(m.group(1)) * 1000)));
            }
        }
        put(sc, "GC pauses", "count", h.getTotalCount());
        put(sc, "GC pause p99", "ms", h.getValueAtPercentile(99) / 1000.0);
        put(sc, "GC pause max", "ms", h.getMaxValue() / 1000.0);
    }

    /** Parks until System.nanoTime() reaches nanos (no spinning: the generator's CPU is measured). */
    static void sleepUntil(long nanos) {
        long d;
        while ((d = nanos - System.nanoTime()) > 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(d);
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * CPU of the server and of this generator, and wall time, over one measured window. The window opens
     * once the server has gone quiet (so work left from the previous scenario, e.g. Parley's
     * asynchronous archive writes, is not charged here) and its CPU reading closes once the server is
     * quiet again after the last delivery (so this scenario's own deferred work is charged to it).
     */
    static final class Window {
        private static final long QUIET_CPU_NANOS = 20_000_000; // under 4 % of a core over 500 ms
        private final List<Long> pids;
        private final long s0;
        private final long c0;
        private final long g0;
        private final long t0;
        long serverCpu;
        long compilerCpu;
        long selfCpu;
        long wall;
        long settle;

        /** Over the processes {@code pids} (one server, or every node of a cluster). */
        Window(List<Long> pids) {
            this.pids = pids;
            awaitQuiet(pids);
            s0 = ProcStats.cpuNanos(pids);
            c0 = ProcStats.compilerCpuNanos(pids);
            g0 = ProcStats.selfCpuNanos();
            t0 = System.nanoTime();
        }

        void end() {
            wall = System.nanoTime() - t0;
            selfCpu = ProcStats.selfCpuNanos() - g0;
            long q = System.nanoTime();
            awaitQuiet(pids);
            settle = System.nanoTime() - q;
            serverCpu = ProcStats.cpuNanos(pids) - s0;
            compilerCpu = ProcStats.compilerCpuNanos(pids) - c0;
        }

        /** Polls the server's CPU every 500 ms until it is nearly idle, for at most 60 s. */
        static void awaitQuiet(List<Long> pids) {
            long deadline = System.nanoTime() + 60_000_000_000L;
            long before = ProcStats.cpuNanos(pids);
            while (System.nanoTime() < deadline) {
                sleepUntil(System.nanoTime() + 500_000_000L);
                long now = ProcStats.cpuNanos(pids);
                if (now - before < QUIET_CPU_NANOS) {
                    return;
                }
                before = now;
            }
        }
    }
}
