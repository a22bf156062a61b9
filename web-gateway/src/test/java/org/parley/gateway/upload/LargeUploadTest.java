package org.parley.gateway.upload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.httpfileupload.HttpFileUploadManager;
import org.jivesoftware.smackx.httpfileupload.element.Slot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.gateway.testing.TestGateway;

/**
 * A 100 MiB file PUT and GET over loopback at the default {@code upload.max-file-size} (and quota): once
 * undisturbed for the throughput, once with the heap measured after full GCs before, during (every 250 ms)
 * and after the transfer: streamed means the live heap never grows by anything near the file's size. It takes longer than a CI test should (tens of
 * seconds on a busy 2-core machine), so it runs only on request:
 *
 * <pre>./mvnw -B -ntp -pl web-gateway -am verify -Dtest=LargeUploadTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dparley.upload.big=true</pre>
 *
 * It prints the throughput and heap figures (quoted in the README).
 */
@EnabledIfSystemProperty(named = "parley.upload.big", matches = "true")
class LargeUploadTest {

    private static final long SIZE = 100L * 1024 * 1024;
    private static final long FLAT = 32L * 1024 * 1024;

    @RegisterExtension
    static final TestGateway gateway = TestGateway.withUsers("alice");

    @Test
    void aHundredMebibyteFileIsStreamedThroughWithAFlatHeap() throws Exception {
        XMPPTCPConnection alice = gateway.server().login("alice");
        Slot[] slots = new Slot[2];
        try {
            HttpFileUploadManager manager = HttpFileUploadManager.getInstanceFor(alice);
            manager.discoverUploadService();
            for (int i = 0; i < slots.length; i++) {
                slots[i] = manager.requestSlot("big-" + i + ".bin", SIZE, "application/octet-stream");
            }
        } finally {
            alice.disconnect();
        }
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();

        // 1. Throughput, undisturbed.
        Transfer plain = transfer(http, slots[0], null);
        // 2. The live heap, after a full GC every 250 ms during a second transfer (this slows it down).
        long before = liveHeap(memory);
        Transfer watched = transfer(http, slots[1], memory);
        long after = liveHeap(memory);

        System.out.printf("100 MiB upload over loopback: PUT %.1f s (%.1f MiB/s), GET %.1f s (%.1f MiB/s); live heap "
                        + "after GC: before %d MiB, peak during PUT %d MiB, during GET %d MiB, after %d MiB%n",
                plain.putSeconds, 100 / plain.putSeconds, plain.getSeconds, 100 / plain.getSeconds, before >> 20,
                watched.putPeak >> 20, watched.getPeak >> 20, after >> 20);
        assertTrue(watched.putPeak - before < FLAT, "live heap grew by " + ((watched.putPeak - before) >> 20)
                + " MiB during the PUT");
        assertTrue(watched.getPeak - before < FLAT, "live heap grew by " + ((watched.getPeak - before) >> 20)
                + " MiB during the GET");
        assertTrue(after - before < FLAT, "live heap grew by " + ((after - before) >> 20) + " MiB");
    }

    private record Transfer(double putSeconds, double getSeconds, long putPeak, long getPeak) {
    }

    /** PUTs 100 MiB to the slot and GETs them back, checking the digest; watches the heap when given one. */
    private static Transfer transfer(HttpClient http, Slot slot, MemoryMXBean memory) throws Exception {
        Generated upload = new Generated(SIZE);
        HeapWatch putWatch = memory == null ? null : new HeapWatch(memory);
        long started = System.nanoTime();
        HttpResponse<Void> put = http.send(HttpRequest.newBuilder(slot.getPutUrl().toURI())
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> upload), SIZE))
                .build(), HttpResponse.BodyHandlers.discarding());
        double putSeconds = (System.nanoTime() - started) / 1e9;
        long putPeak = putWatch == null ? 0 : putWatch.stop();
        assertEquals(201, put.statusCode());

        HeapWatch getWatch = memory == null ? null : new HeapWatch(memory);
        started = System.nanoTime();
        HttpResponse<InputStream> get = http.send(HttpRequest.newBuilder(slot.getGetUrl().toURI()).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        MessageDigest downloaded = MessageDigest.getInstance("SHA-256");
        long received = 0;
        try (InputStream in = get.body()) {
            byte[] buffer = new byte[64 * 1024];
            int n;
            while ((n = in.read(buffer)) > 0) {
                downloaded.update(buffer, 0, n);
                received += n;
            }
        }
        double getSeconds = (System.nanoTime() - started) / 1e9;
        long getPeak = getWatch == null ? 0 : getWatch.stop();
        assertEquals(SIZE, received);
        assertArrayEquals(upload.digest.digest(), downloaded.digest(), "the same bytes come back");
        return new Transfer(putSeconds, getSeconds, putPeak, getPeak);
    }

    private static long liveHeap(MemoryMXBean memory) {
        System.gc();
        return memory.getHeapMemoryUsage().getUsed();
    }

    /** Samples the live heap (after a full GC) every 250 ms on its own thread until stopped; returns the peak. */
    private static final class HeapWatch {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicLong peak = new AtomicLong();
        private final Thread thread;

        HeapWatch(MemoryMXBean memory) {
            thread = new Thread(() -> {
                while (running.get()) {
                    peak.accumulateAndGet(liveHeap(memory), Math::max);
                    try {
                        Thread.sleep(250); // a sampling interval, not a wait for an event
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "heap-watch");
            thread.setDaemon(true);
            thread.start();
        }

        long stop() throws InterruptedException {
            running.set(false);
            thread.join(Duration.ofSeconds(10).toMillis());
            return peak.get();
        }
    }

    /** {@code size} pseudo-random bytes made on the fly (never all in memory), digested as they are read. */
    private static final class Generated extends InputStream {
        private final Random random = new Random(42);
        private final MessageDigest digest;
        private long left;

        Generated(long size) throws Exception {
            this.left = size;
            this.digest = MessageDigest.getInstance("SHA-256");
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (left == 0) {
                return -1;
            }
            int n = (int) Math.min(len, left);
            byte[] chunk = new byte[n];
            random.nextBytes(chunk);
            System.arraycopy(chunk, 0, b, off, n);
            digest.update(chunk);
            left -= n;
            return n;
        }
    }
}
