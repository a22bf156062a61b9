package org.parley.server.cluster;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.parley.server.config.ClusterSettings;
import org.parley.server.config.ServerSettings;
import org.parley.server.testing.TestPostgres;
import org.parley.server.testing.TestServer;

/**
 * Issue 19's first target, measured (not part of the build: {@code benchmarks/cluster/run}, or
 * {@code -Dcluster.bench=true}; see benchmarks/cluster/README.md): two nodes on loopback in this JVM sharing one
 * PostgreSQL; a message ping-pong from a client on node 1 to an echoing client on node 1 (A, same node) or on
 * node 2 (B, cross-node).
 *
 * <p>Made to give a usable figure on a shared, loaded machine: A and B alternate in short blocks within each run
 * (A/B/A/B..., so a burst of outside load hits both alike); each run reports its own figures with the load
 * average next to them, and the summary is the median over the runs. Latency: cross-node added per delivery =
 * (round trip B − round trip A) / 2, p50 (both legs cross in B). CPU: the CPU time (ThreadMXBean) of the
 * servers' own threads — Parley's {@code parley-*} and Hazelcast's {@code hz.*}, not the Smack clients', the JIT
 * or the GC — over the deliveries (two per round trip), B over A; the JVM's whole process CPU time is shown too.
 * Archiving off, so the figures are the routing's.
 *
 * <p>Properties: {@code cluster.bench.runs} (3), {@code cluster.bench.blocks} (blocks per run, alternating A and
 * B; 10), {@code cluster.bench.block} (round trips per block; 200), {@code cluster.bench.warmup} (round trips of
 * each kind before the first run; 5000), {@code cluster.bench.out} (the Markdown summary; target/cluster-bench.md),
 * {@code cluster.bench.jfr} (a file: record the runs with JFR's "profile" settings and add where the servers'
 * CPU samples fall).
 */
class ClusterLatencyBenchmark {

    private static final int RUNS = Integer.getInteger("cluster.bench.runs", 3);
    private static final int BLOCKS = Integer.getInteger("cluster.bench.blocks", 10);
    private static final int BLOCK = Integer.getInteger("cluster.bench.block", 200);
    private static final int WARMUP = Integer.getInteger("cluster.bench.warmup", 5000);
    /** Thread-name groups whose CPU time is reported separately: where a cross-node delivery's extra CPU goes. */
    private static final List<String> GROUPS = List.of("parley-io", "parley-worker", "hz.", "parley-other");
    private static final java.util.concurrent.atomic.AtomicLong SEQUENCE = new java.util.concurrent.atomic.AtomicLong();

    @Test
    void crossNodeDeliveryAgainstLocal() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("cluster.bench"), "run with -Dcluster.bench=true");
        ServerSettings.StorageSettings db = TestPostgres.newDatabase();
        int p1 = freePort();
        int p2 = freePort();
        List<String> members = List.of("127.0.0.1:" + p1, "127.0.0.1:" + p2);
        String name = "parley-bench-" + p1;
        StringBuilder report = new StringBuilder();
        try (TestServer n1 = node(db, name, p1, members); TestServer n2 = node(db, name, p2, members)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (n1.server().cluster().hazelcast().getCluster().getMembers().size() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(20); // polling Hazelcast's member list while the second member joins
            }
            for (String u : List.of("ping", "local", "remote")) {
                n1.createUser(u);
            }
            XMPPTCPConnection ping = login(n1, "ping", "a");
            XMPPTCPConnection local = login(n1, "local", "b");
            XMPPTCPConnection remote = login(n2, "remote", "c");
            echo(local);
            echo(remote);
            BlockingQueue<Message> back = new LinkedBlockingQueue<>();
            ping.addSyncStanzaListener(s -> back.add((Message) s), s -> s instanceof Message m && m.getBody() != null);
            for (int i = 0; i < WARMUP / BLOCK; i++) { // JIT both paths before anything is measured
                pingPong(ping, local, back, BLOCK, new Tally());
                pingPong(ping, remote, back, BLOCK, new Tally());
            }
            Path jfr = System.getProperty("cluster.bench.jfr") == null ? null : Path.of(System.getProperty("cluster.bench.jfr"));
            Recording recording = null;
            if (jfr != null) {
                recording = new Recording(Configuration.getConfiguration("profile"));
                // Every millisecond rather than every 10-20: enough samples in a few seconds of CPU.
                recording.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(1));
                recording.start();
            }
            List<Run> runs = new ArrayList<>();
            for (int r = 0; r < RUNS; r++) {
                double load0 = load();
                Tally a = new Tally();
                Tally b = new Tally();
                for (int k = 0; k < BLOCKS; k++) {
                    if (k % 2 == 0) {
                        pingPong(ping, local, back, BLOCK, a);
                    } else {
                        pingPong(ping, remote, back, BLOCK, b);
                    }
                }
                Run run = new Run(a.result(), b.result(), load0, load());
                runs.add(run);
                System.out.println(run.line(r + 1));
            }
            if (recording != null) {
                recording.stop();
                recording.dump(jfr);
                recording.close();
            }
            report.append(summary(runs));
            if (jfr != null) {
                report.append(profile(jfr));
            }
            ping.disconnect();
            local.disconnect();
            remote.disconnect();
        }
        System.out.println(report);
        Path out = Path.of(System.getProperty("cluster.bench.out", "target/cluster-bench.md"));
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, report.toString());
    }

    /** One kind's figures within one run. */
    private record Result(double p50, double p99, double cpuPerDelivery, double processCpuPerDelivery,
                          Map<String, Double> groupPerDelivery, int lost) {
    }

    private record Run(Result local, Result cross, double load0, double load1) {
        double addedP50() {
            return (cross.p50 - local.p50) / 2;
        }

        double cpuRatio() {
            return cross.cpuPerDelivery / local.cpuPerDelivery;
        }

        String line(int n) {
            return String.format(Locale.ROOT, "run %d (load %.1f→%.1f): same-node rtt p50 %.0f µs p99 %.0f µs, server"
                            + " CPU/delivery %.1f µs; cross-node rtt p50 %.0f µs p99 %.0f µs, %.1f µs; added p50 per"
                            + " delivery %+.0f µs; CPU ratio %.2f (process CPU ratio %.2f); echoes lost %d / %d", n,
                    load0, load1, local.p50, local.p99, local.cpuPerDelivery, cross.p50, cross.p99,
                    cross.cpuPerDelivery, addedP50(), cpuRatio(), cross.processCpuPerDelivery / local.processCpuPerDelivery,
                    local.lost, cross.lost);
        }
    }

    /** Round trips and CPU of one kind, summed over its blocks in a run. */
    private static final class Tally {
        final List<Long> rtt = new ArrayList<>();
        int lost;
        long cpu;
        long processCpu;
        final Map<String, Long> groups = new HashMap<>();

        Result result() {
            long[] sorted = rtt.stream().mapToLong(Long::longValue).sorted().toArray();
            double deliveries = 2.0 * sorted.length;
            Map<String, Double> g = new LinkedHashMap<>();
            for (String k : GROUPS) {
                g.put(k, groups.getOrDefault(k, 0L) / 1000.0 / deliveries);
            }
            return new Result(sorted[sorted.length / 2] / 1000.0, sorted[sorted.length * 99 / 100] / 1000.0,
                    cpu / 1000.0 / deliveries, processCpu / 1000.0 / deliveries, g, lost);
        }
    }

    private static void pingPong(XMPPTCPConnection from, XMPPTCPConnection to, BlockingQueue<Message> back, int n,
                                 Tally tally) throws Exception {
        Map<String, Long> cpu0 = serverCpu();
        long process0 = processCpu();
        for (int i = 0; i < n; i++) {
            String body = "p" + SEQUENCE.incrementAndGet();
            long t0 = System.nanoTime();
            from.sendStanza(from.getStanzaFactory().buildMessageStanza().to(to.getUser()).ofType(Message.Type.chat)
                    .setBody(body).build());
            // The echo of this very message: a late echo of an earlier one (counted as lost) is skipped.
            long deadline = t0 + TimeUnit.SECONDS.toNanos(10);
            Message m;
            do {
                m = back.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            } while (m != null && !body.equals(m.getBody()));
            if (m == null) {
                tally.lost++;
                System.out.printf("no echo within 10 s for %s to %s%n", body, to.getUser());
                continue;
            }
            tally.rtt.add(System.nanoTime() - t0);
        }
        tally.processCpu += processCpu() - process0;
        Map<String, Long> cpu1 = serverCpu();
        for (String g : GROUPS) {
            long d = cpu1.getOrDefault(g, 0L) - cpu0.getOrDefault(g, 0L);
            tally.groups.merge(g, d, Long::sum);
            tally.cpu += d;
        }
    }

    /** CPU time of the servers' threads by group: Parley's (parley-*) and Hazelcast's (hz.*), not Smack's. */
    private static Map<String, Long> serverCpu() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Map<String, Long> total = new HashMap<>();
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info == null) {
                continue;
            }
            String group = group(info.getThreadName());
            if (group != null) {
                total.merge(group, Math.max(0, threads.getThreadCpuTime(info.getThreadId())), Long::sum);
            }
        }
        return total;
    }

    private static String group(String thread) {
        for (String g : GROUPS) {
            if (thread.startsWith(g)) {
                return g;
            }
        }
        return thread.startsWith("parley-") ? "parley-other" : null;
    }

    private static long processCpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static double load() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private static String summary(List<Run> runs) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%n## Cluster latency benchmark, %s%n%n%d runs × %d blocks (A same node, B"
                        + " cross-node, alternating) × %d round trips; %d cores; two deliveries per round trip%n%n",
                Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS), runs.size(), BLOCKS, BLOCK,
                Runtime.getRuntime().availableProcessors()));
        b.append("| run | load avg (start→end) | same-node rtt p50 / p99 (µs) | cross-node rtt p50 / p99 (µs) |"
                + " added p50 per delivery (µs) | server CPU per delivery same / cross (µs) | CPU ratio |"
                + " process CPU ratio | lost same / cross |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (int i = 0; i < runs.size(); i++) {
            Run r = runs.get(i);
            b.append(String.format(Locale.ROOT, "| %d | %.1f→%.1f | %.0f / %.0f | %.0f / %.0f | %+.0f | %.1f / %.1f |"
                            + " %.2f | %.2f | %d / %d |%n", i + 1, r.load0, r.load1, r.local.p50, r.local.p99,
                    r.cross.p50, r.cross.p99, r.addedP50(), r.local.cpuPerDelivery, r.cross.cpuPerDelivery,
                    r.cpuRatio(), r.cross.processCpuPerDelivery / r.local.processCpuPerDelivery, r.local.lost,
                    r.cross.lost));
        }
        b.append(String.format(Locale.ROOT, "| **median** | %.1f | %.0f / %.0f | %.0f / %.0f | **%+.0f** | %.1f / %.1f |"
                        + " **%.2f** | %.2f | |%n%n",
                median(runs, r -> (r.load0 + r.load1) / 2), median(runs, r -> r.local.p50),
                median(runs, r -> r.local.p99), median(runs, r -> r.cross.p50), median(runs, r -> r.cross.p99),
                median(runs, Run::addedP50), median(runs, r -> r.local.cpuPerDelivery),
                median(runs, r -> r.cross.cpuPerDelivery), median(runs, Run::cpuRatio),
                median(runs, r -> r.cross.processCpuPerDelivery / r.local.processCpuPerDelivery)));
        b.append("Server CPU per delivery by thread group, median over the runs, same node → cross-node (µs):");
        for (String g : GROUPS) {
            b.append(String.format(Locale.ROOT, " %s %.1f → %.1f;", g,
                    median(runs, r -> r.local.groupPerDelivery.get(g)), median(runs, r -> r.cross.groupPerDelivery.get(g))));
        }
        b.setLength(b.length() - 1);
        b.append(".\n");
        return b.toString();
    }

    private static double median(List<Run> runs, java.util.function.ToDoubleFunction<Run> f) {
        double[] v = runs.stream().mapToDouble(f).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /**
     * Where the servers' CPU samples fall (JFR execution samples of parley-* and hz.* threads): the share of
     * samples with each cross-node step on the stack, and the methods most often on top.
     */
    private static String profile(Path jfr) throws Exception {
        Map<String, String> steps = new LinkedHashMap<>();
        steps.put("envelope encode (render + copy)", "org.parley.server.cluster.ParleyCluster$Envelope.encode");
        steps.put("envelope decode (parse again)", "org.parley.server.cluster.ParleyCluster$Envelope.decode");
        steps.put("topic publish (sender side)", "com.hazelcast.topic.impl.TopicProxy.publish");
        steps.put("route lookup (near cache)", "org.parley.server.cluster.ParleyCluster.forwardToAccount");
        steps.put("received on the topic (listener)", "org.parley.server.cluster.ParleyCluster.received");
        steps.put("routed here (local relay on the receiving node)", "org.parley.server.routing.LocalRelay.routeHere");
        steps.put("Hazelcast networking (hz.* threads)", "thread:hz.");
        Map<String, Integer> hits = new LinkedHashMap<>();
        Map<String, Integer> top = new HashMap<>();
        int total = 0;
        int samples;
        for (RecordedEvent e : RecordingFile.readAllEvents(jfr)) {
            if (!e.getEventType().getName().equals("jdk.ExecutionSample") || e.getStackTrace() == null) {
                continue;
            }
            String thread = e.getThread("sampledThread") == null ? "" : e.getThread("sampledThread").getJavaName();
            if (thread == null || group(thread) == null) {
                continue;
            }
            total++;
            List<RecordedFrame> frames = e.getStackTrace().getFrames();
            if (!frames.isEmpty()) {
                RecordedFrame f = frames.get(0);
                top.merge(f.getMethod().getType().getName() + "." + f.getMethod().getName(), 1, Integer::sum);
            }
            for (Map.Entry<String, String> s : steps.entrySet()) {
                boolean on = s.getValue().startsWith("thread:") ? thread.startsWith(s.getValue().substring(7))
                        : frames.stream().anyMatch(f -> s.getValue().equals(f.getMethod().getType().getName() + "."
                        + f.getMethod().getName()));
                if (on) {
                    hits.merge(s.getKey(), 1, Integer::sum);
                }
            }
        }
        samples = total;
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
                "%nJFR (%s): %d execution samples of the servers' threads over the runs (A and B mixed);"
                        + " share with each step on the stack:%n%n", jfr.getFileName(), total));
        for (String s : steps.keySet()) {
            b.append(String.format(Locale.ROOT, "- %s: %.1f %%%n", s, 100.0 * hits.getOrDefault(s, 0) / Math.max(1, total)));
        }
        b.append("\nMost frequent top frames:\n\n");
        top.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(15)
                .forEach(en -> b.append(String.format(Locale.ROOT, "- %.1f %% %s%n",
                        100.0 * en.getValue() / Math.max(1, samples), en.getKey())));
        return b.toString();
    }

    /**
     * Without stream management: Smack acknowledges only when asked, and the server asks only once a client is
     * far behind, so the ~10 000 stanzas of a benchmark would hit the unacknowledged-stanza bound (XEP-0198 is
     * not what is measured here).
     */
    private static XMPPTCPConnection login(TestServer node, String user, String resource) throws Exception {
        XMPPTCPConnection c = new XMPPTCPConnection(node.config(user).setResource(resource).build());
        c.setUseStreamManagement(false);
        c.setReplyTimeout(10_000);
        c.connect().login();
        return c;
    }

    private static void echo(XMPPTCPConnection c) {
        c.addAsyncStanzaListener(s -> {
            Message m = (Message) s;
            try {
                c.sendStanza(c.getStanzaFactory().buildMessageStanza().to(m.getFrom()).ofType(Message.Type.chat)
                        .setBody(m.getBody()).build());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, s -> s instanceof Message m && m.getBody() != null);
    }

    private static TestServer node(ServerSettings.StorageSettings db, String name, int port, List<String> members)
            throws Exception {
        Path dir = Files.createTempDirectory("parley-bench-");
        return TestServer.startNode(dir, s -> s.withStorage(db).withMam(new ServerSettings.Mam(false,
                ServerSettings.Mam.Mode.ALWAYS, Duration.ZERO)),
                ClusterSettings.loopback(name, port, members, Duration.ofSeconds(10), 0));
    }

    private static int freePort() throws java.io.IOException {
        return org.parley.server.testing.MemberPorts.free();
    }
}
