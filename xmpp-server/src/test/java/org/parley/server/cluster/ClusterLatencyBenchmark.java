package org.parley.server.cluster;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.parley.server.config.ClusterSettings;
import org.parley.server.config.ServerSettings;
import org.parley.server.testing.TestPostgres;
import org.parley.server.testing.TestServer;

/**
 * Issue 19's targets, measured (not part of the build: {@code -Dcluster.bench=true}): two nodes on loopback
 * sharing one PostgreSQL; a message ping-pong between two clients on the same node and between clients on
 * different nodes. Cross-node added latency = (round trip across - round trip local) / 2 per delivery, p50;
 * server CPU per delivery = CPU time of the servers' threads (Parley's and Hazelcast's, not Smack's) over
 * the deliveries, across vs local. Archiving off, so the figures are the routing's.
 */
class ClusterLatencyBenchmark {

    private static final int WARMUP = 300;
    private static final int ROUNDS = 1000;

    @Test
    void crossNodeDeliveryAgainstLocal() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("cluster.bench"), "run with -Dcluster.bench=true");
        ServerSettings.StorageSettings db = TestPostgres.newDatabase();
        int p1 = freePort();
        int p2 = freePort();
        List<String> members = List.of("127.0.0.1:" + p1, "127.0.0.1:" + p2);
        String name = "parley-bench-" + p1;
        try (TestServer n1 = node(db, name, p1, members); TestServer n2 = node(db, name, p2, members)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (n1.server().cluster().hazelcast().getCluster().getMembers().size() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            for (String u : List.of("ping", "local", "remote")) {
                n1.createUser(u);
            }
            XMPPTCPConnection ping = n1.login("ping", "a");
            XMPPTCPConnection local = n1.login("local", "b");
            XMPPTCPConnection remote = n2.login("remote", "c");
            echo(local);
            echo(remote);
            BlockingQueue<Message> back = new LinkedBlockingQueue<>();
            ping.addSyncStanzaListener(s -> back.add((Message) s), s -> s instanceof Message m && m.getBody() != null);
            for (int round = 0; round < 2; round++) { // the second round is the one reported
                Result l = pingPong(ping, local, back);
                Result r = pingPong(ping, remote, back);
                System.out.printf("round %d: local rtt p50 %.1f us p99 %.1f us, cpu/delivery %.1f us; "
                                + "cross-node rtt p50 %.1f us p99 %.1f us, cpu/delivery %.1f us; added p50 per delivery"
                                + " %.1f us; cpu ratio %.2f; load %.2f%n", round, l.p50, l.p99, l.cpuPerDelivery,
                        r.p50, r.p99, r.cpuPerDelivery, (r.p50 - l.p50) / 2, r.cpuPerDelivery / l.cpuPerDelivery,
                        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
            }
            ping.disconnect();
            local.disconnect();
            remote.disconnect();
        }
    }

    private record Result(double p50, double p99, double cpuPerDelivery) {
    }

    private static Result pingPong(XMPPTCPConnection from, XMPPTCPConnection to, BlockingQueue<Message> back)
            throws Exception {
        long[] rtt = new long[ROUNDS];
        long cpu = 0;
        for (int i = -WARMUP; i < ROUNDS; i++) {
            if (i == 0) {
                cpu = serverCpu();
            }
            long t0 = System.nanoTime();
            from.sendStanza(from.getStanzaFactory().buildMessageStanza().to(to.getUser()).ofType(Message.Type.chat)
                    .setBody("p" + i).build());
            Message m = back.poll(10, TimeUnit.SECONDS);
            if (m == null) {
                throw new AssertionError("no echo for " + i);
            }
            if (i >= 0) {
                rtt[i] = System.nanoTime() - t0;
            }
        }
        cpu = serverCpu() - cpu;
        Arrays.sort(rtt);
        return new Result(rtt[ROUNDS / 2] / 1000.0, rtt[ROUNDS * 99 / 100] / 1000.0, cpu / 1000.0 / (2.0 * ROUNDS));
    }

    /** CPU time of the servers' threads: Parley's (parley-*) and Hazelcast's (hz.*), not the Smack clients'. */
    private static long serverCpu() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long total = 0;
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && (info.getThreadName().startsWith("parley-") || info.getThreadName().startsWith("hz."))) {
                long t = threads.getThreadCpuTime(info.getThreadId());
                total += Math.max(0, t);
            }
        }
        return total;
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
