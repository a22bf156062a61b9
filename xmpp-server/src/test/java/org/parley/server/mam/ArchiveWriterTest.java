package org.parley.server.mam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.server.config.ServerSettings.StorageSettings;
import org.parley.server.storage.ArchiveStore;
import org.parley.server.storage.Storage;
import org.parley.server.storage.jdbc.JdbcStorage;

/**
 * The archive writer's group commit with its linger (issue 23): what a waiter was told is stored is in the
 * database when the wait returns (XEP-0198: an {@code <a/>} never covers what is not stored), and a waiter
 * does not sit out the linger: its FLUSH ends it.
 */
class ArchiveWriterTest {

    @TempDir
    Path dataDirectory;

    private static ArchiveStore.Entry entry(int i) {
        return new ArchiveStore.Entry("id" + i, "bob@example.org/phone", Instant.parse("2026-01-01T00:00:00Z")
                .plusSeconds(i), "<message><body>" + i + "</body></message>");
    }

    private static long stored(Storage storage) {
        return storage.archive().page(new ArchiveStore.Filter("alice@example.org", null, null, null),
                new ArchiveStore.Paging(null, null, true, 1)).count();
    }

    @Test
    void whatAWaiterWasToldIsStoredIsInTheDatabase() throws Exception {
        try (Storage storage = JdbcStorage.open(new StorageSettings(null, null, null, 4), dataDirectory)) {
            // A linger far longer than the test's patience: only the waiters' FLUSH can end the batches.
            ArchiveWriter writer = new ArchiveWriter(storage.archive(), TimeUnit.MINUTES.toMillis(10));
            try {
                long first = 1;
                for (int round = 0; round < 20; round++) {
                    long last = 0;
                    for (int i = 0; i < 7; i++) {
                        last = writer.append("alice@example.org", entry(round * 7 + i));
                    }
                    long started = System.nanoTime();
                    assertTrue(writer.awaitStored(first, last), "stored");
                    assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(ArchiveWriter.WAIT_SECONDS),
                            "the waiter ended the linger");
                    assertEquals(last, stored(storage), "everything acknowledged is in the database");
                    first = last + 1;
                }
            } finally {
                writer.close();
            }
        }
    }

    /** Nobody waits: the entries are written once the linger is over, and at the latest when the writer closes. */
    @Test
    void entriesNobodyWaitsForAreWrittenAfterTheLingerAndAtClose() throws Exception {
        try (Storage storage = JdbcStorage.open(new StorageSettings(null, null, null, 4), dataDirectory)) {
            ArchiveWriter writer = new ArchiveWriter(storage.archive());
            for (int i = 0; i < 5; i++) {
                writer.append("alice@example.org", entry(i));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (stored(storage) < 5) {
                assertTrue(System.nanoTime() < deadline, "written within the linger (" + ArchiveWriter.LINGER_MILLIS
                        + " ms), not only when someone asks");
                Thread.sleep(5); // polling a condition with a deadline, not waiting for an outcome
            }
            ArchiveWriter lingering = new ArchiveWriter(storage.archive(), TimeUnit.MINUTES.toMillis(10));
            lingering.append("alice@example.org", entry(5));
            lingering.close();
            writer.close();
            assertEquals(6, stored(storage), "close writes what is queued");
        }
    }

    /**
     * The queue is bounded in entries (issue 18): with the database stalled (the writer held at its test gate, not
     * slowed by sleeps) a producer is told there is no room after its bounded wait, an append past the slack is
     * refused rather than queued, and once the writer moves again there is room and everything queued is stored.
     */
    @Test
    void aFullQueueRefusesNewMessagesUntilTheWriterCatchesUpAndLosesNothingQueued() throws Exception {
        try (Storage storage = JdbcStorage.open(new StorageSettings(null, null, null, 4), dataDirectory)) {
            ArchiveWriter writer = new ArchiveWriter(storage.archive());
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            writer.gate(entries -> release.await());
            try {
                int i = 0;
                while (writer.admit(0)) {
                    writer.append("alice@example.org", entry(i++));
                }
                assertEquals(ArchiveWriter.MAX_QUEUED, i, "producers are admitted up to the bound");
                long started = System.nanoTime();
                assertFalse(writer.admit(50), "no room while the writer is stalled");
                assertTrue(System.nanoTime() - started >= TimeUnit.MILLISECONDS.toNanos(50), "after a bounded wait");
                while (i < ArchiveWriter.HARD_MAX_QUEUED) {
                    writer.append("alice@example.org", entry(i++)); // the slack for messages already admitted
                }
                int queued = i;
                assertThrows(ArchiveWriter.QueueFullException.class, () -> writer.append("alice@example.org", entry(queued)),
                        "beyond the slack an entry is refused, never queued and dropped later");

                release.countDown();
                assertTrue(writer.admit(TimeUnit.SECONDS.toMillis(60)), "room again once the writer catches up");
                assertTrue(writer.awaitWritten());
                assertEquals(queued, stored(storage), "everything that was queued is stored");
            } finally {
                release.countDown();
                writer.close();
            }
        }
    }

    /** The queue is bounded in bytes too: a few large stanzas fill it long before the entry bound. */
    @Test
    void theQueueIsBoundedInBytes() throws Exception {
        try (Storage storage = JdbcStorage.open(new StorageSettings(null, null, null, 4), dataDirectory)) {
            ArchiveWriter writer = new ArchiveWriter(storage.archive());
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            writer.gate(entries -> release.await());
            try {
                String big = "<message><body>" + "x".repeat(1 << 20) + "</body></message>";
                int i = 0;
                while (writer.admit(0)) {
                    writer.append("alice@example.org", new ArchiveStore.Entry("big" + i, "bob@example.org",
                            Instant.parse("2026-01-01T00:00:00Z").plusSeconds(i), big));
                    i++;
                }
                assertEquals((int) (ArchiveWriter.MAX_QUEUED_CHARS / big.length()) + 1, i,
                        "admitted until the stanzas queued reach the byte bound");
                release.countDown();
                assertTrue(writer.admit(TimeUnit.SECONDS.toMillis(60)), "room again once written");
            } finally {
                release.countDown();
                writer.close();
            }
        }
    }

    /** The asynchronous form a stream uses: completed by the writer after the commit, in the order of the tickets. */
    @Test
    void whenStoredCompletesAfterTheCommitWithoutAnyoneWaiting() throws Exception {
        try (Storage storage = JdbcStorage.open(new StorageSettings(null, null, null, 4), dataDirectory)) {
            ArchiveWriter writer = new ArchiveWriter(storage.archive(), TimeUnit.MINUTES.toMillis(10));
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            writer.gate(entries -> release.await());
            try {
                long first = writer.append("alice@example.org", entry(0));
                java.util.concurrent.CompletableFuture<Boolean> one = writer.whenStored(first, first);
                long second = writer.append("alice@example.org", entry(1));
                java.util.concurrent.CompletableFuture<Boolean> two = writer.whenStored(second, second);
                java.util.List<Integer> order = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
                one.thenRun(() -> order.add(1));
                two.thenRun(() -> order.add(2));
                assertFalse(one.isDone() || two.isDone(), "not before the commit");
                assertEquals(0, stored(storage));
                release.countDown();
                assertTrue(two.get(60, TimeUnit.SECONDS) && one.getNow(false));
                assertEquals(2, stored(storage), "stored when told so");
                assertEquals(java.util.List.of(1, 2), order);
            } finally {
                release.countDown();
                writer.close();
            }
        }
    }
}
