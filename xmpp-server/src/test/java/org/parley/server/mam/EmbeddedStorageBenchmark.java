package org.parley.server.mam;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.parley.server.config.ServerSettings.StorageSettings;
import org.parley.server.storage.ArchiveStore;
import org.parley.server.storage.Storage;
import org.parley.server.storage.jdbc.JdbcStorage;

/**
 * The embedded database under a chat server's writes, by hand (not a test; issue 23): for one backend,
 * <ol>
 *   <li>20 000 single-message commits through the storage API (50 archives, ~230-byte stanzas): time, CPU
 *       per commit, the database files' size at its peak and after close;</li>
 *   <li>sustained archiving through the {@link ArchiveWriter} at a fixed rate (default 200 and 1000 msg/s,
 *       two archive entries per message as for a 1:1 message between local users, 30 s each), with an
 *       XEP-0198 acknowledgement request after every 10 messages: CPU of the writer thread (and of H2's
 *       maintenance thread) per message, p50/p99 of the wait for the commit an acknowledgement waits for,
 *       the files' size over time and after close; with the writer's linger ({@link ArchiveWriter#LINGER_MILLIS})
 *       and without it (0: a commit whenever the queue is empty, as before issue 23).</li>
 * </ol>
 * Usage: {@code EmbeddedStorageBenchmark sqlite|h2|h2-tuned [seconds]}. Backends: {@code sqlite} the embedded
 * default; {@code h2} the embedded H2 as it was (WRITE_DELAY=0, compaction by H2Maintenance, 45 s retention);
 * {@code h2-tuned} the same with a 1 s retention time (the file bound H2 can reach, at the price of its
 * power-loss safety, see H2Maintenance). Run with {@code benchmarks/archive/run-embedded [backend] [seconds]};
 * results in {@code benchmarks/archive/README.md}.
 */
public final class EmbeddedStorageBenchmark {

    private static final int COMMITS = 20_000;
    private static final int ARCHIVES = 50;
    private static final String PADDING = "x".repeat(200);
    /**
     * An acknowledgement request after every this many messages (system property {@code ackEvery}, default 10;
     * 0: none, as the clients of {@code benchmarks/run} do, which do not use XEP-0198).
     */
    private static final int ACK_EVERY = Integer.getInteger("ackEvery", 10);
    /** The writer's linger in the "sustained" runs (system property {@code linger}, default the writer's own). */
    private static final long LINGER = Long.getLong("linger", ArchiveWriter.LINGER_MILLIS);

    private EmbeddedStorageBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        String backend = args.length > 0 ? args[0] : "sqlite";
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        Path root = Files.createTempDirectory("parley-embedded-bench");
        System.out.printf("backend %s, %d available processors, load average %s%n", backend,
                Runtime.getRuntime().availableProcessors(), Files.readString(Path.of("/proc/loadavg")).trim());
        // A third argument "sustained" measures only the writer at its default linger (the CPU figures of
        // issue 18, taken three times in a row for medians); a fourth names the rates (default 200,1000).
        boolean sustainedOnly = args.length > 2 && args[2].equals("sustained");
        int[] rates = args.length > 3 ? Arrays.stream(args[3].split(",")).mapToInt(Integer::parseInt).toArray()
                : new int[] {200, 1000};
        if (!sustainedOnly) {
            singleCommits(backend, root.resolve("commits"));
        } else {
            // Unmeasured: the writer's path compiled by the JIT first, as on a server that has been running
            // (a 20 s run at 200 msg/s is only 400 commits, much of them interpreted otherwise).
            sustained(backend, root.resolve("warm-up"), 1000, 10, LINGER, false);
        }
        for (int rate : rates) {
            for (long linger : sustainedOnly ? new long[] {LINGER}
                    : new long[] {0, LINGER}) {
                sustained(backend, root.resolve("rate" + rate + "-linger" + linger), rate, seconds, linger, true);
            }
        }
    }

    private static StorageSettings settings(String backend, Path data) {
        String h2 = "jdbc:h2:file:" + data.resolve("db").resolve("parley").toAbsolutePath()
                + ";DB_CLOSE_ON_EXIT=FALSE;LOCK_TIMEOUT=10000;WRITE_DELAY=0";
        return switch (backend) {
            case "sqlite" -> new StorageSettings(null, null, null, 4);
            case "h2" -> new StorageSettings(h2, null, null, 4);
            case "h2-tuned" -> new StorageSettings(h2 + ";RETENTION_TIME=1000", null, null, 4);
            default -> throw new IllegalArgumentException("backend: sqlite, h2 or h2-tuned");
        };
    }

    private static String stanza(int i) {
        return "<message xmlns='jabber:client' type='chat' id='m" + i + "'><body>" + i + " " + PADDING
                + "</body></message>";
    }

    private static void singleCommits(String backend, Path data) throws Exception {
        long stanzaBytes = 0;
        long peak = 0;
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        long cpu0 = processCpuNanos();
        long wall0 = System.nanoTime();
        try (Storage storage = JdbcStorage.open(settings(backend, data), data)) {
            cpu0 = processCpuNanos();
            wall0 = System.nanoTime();
            for (int i = 0; i < COMMITS; i++) {
                String stanza = stanza(i);
                stanzaBytes += stanza.length();
                storage.archive().append("user" + (i % ARCHIVES) + "@example.org",
                        new ArchiveStore.Entry("id" + i, "peer@example.org/x", t0.plusMillis(i), stanza));
                if (i % 500 == 499) {
                    peak = Math.max(peak, size(data));
                }
            }
            peak = Math.max(peak, size(data));
        }
        double cpuPerCommit = (processCpuNanos() - cpu0) / 1e3 / COMMITS;
        double seconds = (System.nanoTime() - wall0) / 1e9;
        long closed = size(data);
        System.out.printf("%-9s 20000 single commits: %.1f s, process CPU %.0f us/commit, stanzas %.1f MB, "
                        + "files peak %.1f MB (%.1fx), after close %.1f MB (%.1fx)%n", backend, seconds, cpuPerCommit,
                stanzaBytes / 1e6, peak / 1e6, (double) peak / stanzaBytes, closed / 1e6,
                (double) closed / stanzaBytes);
    }

    /** One sender at a fixed rate; each message is two entries; an acknowledgement request every 10 messages. */
    private static void sustained(String backend, Path data, int rate, int seconds, long linger, boolean print)
            throws Exception {
        int messages = rate * seconds;
        long[] ackWaits = new long[Math.max(1, ACK_EVERY > 0 ? messages / ACK_EVERY : 1)];
        int acks = 0;
        long stanzaBytes = 0;
        List<String> sizes = new ArrayList<>();
        long peak = 0;
        long writerCpu;
        long maintenanceCpu;
        long processCpu;
        Instant t0 = Instant.now();
        try (Storage storage = JdbcStorage.open(settings(backend, data), data)) {
            ArchiveWriter writer = new ArchiveWriter(storage.archive(), linger);
            long writerCpu0 = threadCpu("parley-archive-writer");
            long maintenanceCpu0 = threadCpu("parley-h2-maintenance");
            long processCpu0 = processCpuNanos();
            long start = System.nanoTime();
            long periodNanos = TimeUnit.SECONDS.toNanos(1) / rate;
            long first = 1;
            long last = 0;
            long nextSample = start + TimeUnit.SECONDS.toNanos(5);
            for (int i = 0; i < messages; i++) {
                long due = start + i * periodNanos;
                long now;
                while ((now = System.nanoTime()) < due) {
                    long left = due - now;
                    if (left > 200_000) {
                        TimeUnit.NANOSECONDS.sleep(left - 100_000); // pacing the sender, not waiting for an outcome
                    } else {
                        Thread.onSpinWait();
                    }
                }
                String stanza = stanza(i);
                stanzaBytes += 2L * stanza.length();
                Instant sent = t0.plusMillis(i);
                writer.append("sender@example.org", new ArchiveStore.Entry("s" + i, "receiver@example.org", sent, stanza));
                last = writer.append("receiver@example.org", new ArchiveStore.Entry("r" + i, "sender@example.org/x",
                        sent, stanza));
                if (ACK_EVERY > 0 && i % ACK_EVERY == ACK_EVERY - 1) {
                    long a = System.nanoTime();
                    if (!writer.awaitStored(first, last)) {
                        throw new IllegalStateException("not stored");
                    }
                    ackWaits[acks++] = System.nanoTime() - a;
                    first = last + 1;
                }
                if (System.nanoTime() >= nextSample) {
                    long size = size(data);
                    peak = Math.max(peak, size);
                    sizes.add(String.format("%.1f", size / 1e6));
                    nextSample += TimeUnit.SECONDS.toNanos(5);
                }
            }
            writer.awaitWritten();
            writerCpu = threadCpu("parley-archive-writer") - writerCpu0;
            maintenanceCpu = threadCpu("parley-h2-maintenance") - maintenanceCpu0;
            processCpu = processCpuNanos() - processCpu0;
            peak = Math.max(peak, size(data));
            writer.close();
        }
        long closed = size(data);
        if (!print) {
            return;
        }
        long[] sorted = Arrays.copyOf(ackWaits, Math.max(1, acks));
        Arrays.sort(sorted);
        System.out.printf("%-9s %4d msg/s linger %2d ms, %d s: writer CPU %.0f us/msg (+maintenance %.0f), process CPU "
                        + "%.0f us/msg; ack wait p50 %.2f ms p99 %.2f ms max %.2f ms; stanzas %.1f MB, files peak "
                        + "%.1f MB (%.1fx), after close %.1f MB (%.1fx); MB every 5 s: %s%n",
                backend, rate, linger, seconds, writerCpu / 1e3 / messages, maintenanceCpu / 1e3 / messages,
                processCpu / 1e3 / messages, sorted[sorted.length / 2] / 1e6,
                sorted[(int) Math.ceil(sorted.length * 0.99) - 1] / 1e6, sorted[sorted.length - 1] / 1e6,
                stanzaBytes / 1e6, peak / 1e6, (double) peak / stanzaBytes, closed / 1e6, (double) closed / stanzaBytes,
                String.join(" ", sizes));
    }

    private static long size(Path data) throws Exception {
        Path db = data.resolve("db");
        if (!Files.isDirectory(db)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(db)) {
            return files.filter(f -> !f.getFileName().toString().endsWith(".lock")).mapToLong(f -> f.toFile().length())
                    .sum();
        }
    }

    private static long threadCpu(String name) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long total = 0;
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && info.getThreadName().equals(name)) {
                total += Math.max(0, threads.getThreadCpuTime(info.getThreadId()));
            }
        }
        return total;
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
}
