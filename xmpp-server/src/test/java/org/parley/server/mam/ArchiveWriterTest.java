package org.parley.server.mam;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
}
