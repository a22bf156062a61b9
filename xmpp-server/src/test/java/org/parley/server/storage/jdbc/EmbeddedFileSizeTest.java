package org.parley.server.storage.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.server.storage.ArchiveStore;
import org.parley.server.storage.Storage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded database's files stay proportional to the data they hold (issue 23), with bounds that hold
 * on any machine: SQLite writes pages in place, so the database file depends on what is stored, not on how
 * many commits stored it or how fast; the write-ahead log is checkpointed by the commit that takes it past
 * 1000 pages (SQLite's default, in the committing thread, not a background one); and a clean stop returns
 * the pages deletes freed and empties the log. (The embedded H2 this replaced appended a chunk per commit
 * and could reuse one only after a 45 s retention time: its file grew 21-27 times the data on a quiet
 * machine, a bound that depended on the machine's speed.)
 */
class EmbeddedFileSizeTest {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedFileSizeTest.class);

    private static final int MESSAGES = 20_000;
    private static final int ARCHIVES = 50;
    /**
     * The database file may hold this many times the stanza bytes: each row also holds its id, JIDs and time,
     * and four indexes of the archive; measured 1.9 (SQLite 3.51, 4 KB pages, ~230-byte stanzas).
     */
    private static final double MAX_RATIO = 2.5;
    /**
     * The log: 1000 frames (a 4 KB page and a 24-byte header each) before the checkpoint, plus those of the
     * commit that passed them (at most 14 measured; 64 allowed), plus the log's 32-byte header.
     */
    private static final long MAX_LOG_BYTES = (1000 + 64) * (4096 + 24) + 32;

    @TempDir
    Path dataDirectory;

    private Path database() {
        return dataDirectory.resolve("db").resolve("parley.db");
    }

    private Path log() {
        return dataDirectory.resolve("db").resolve("parley.db-wal");
    }

    private static long size(Path file) throws IOException {
        return Files.exists(file) ? Files.size(file) : 0;
    }

    /** One archived message per commit, through the storage API, spread over 50 archives. */
    @Test
    void manySmallCommitsKeepTheFileProportionalToTheData() throws IOException {
        long stanzaBytes = 0;
        long peak = 0;
        long peakLog = 0;
        try (Storage storage = JdbcStorage.open(JdbcStorageSqliteTest.EMBEDDED, dataDirectory)) {
            for (int i = 0; i < MESSAGES; i++) {
                ArchiveStore.Entry entry = entry(i);
                stanzaBytes += entry.stanza().length();
                storage.archive().append(owner(i), entry);
                if (i % 500 == 499) {
                    peak = Math.max(peak, size(database()));
                    peakLog = Math.max(peakLog, size(log()));
                }
            }
            LOG.info("{} commits: {} stanza bytes, database file at most {} bytes, log at most {} bytes", MESSAGES,
                    stanzaBytes, peak, peakLog);
        }
        long closed = size(database());
        LOG.info("after close: database file {} bytes, log {} bytes", closed, size(log()));
        assertTrue(peak <= MAX_RATIO * stanzaBytes, "the database file reached " + peak + " bytes for " + stanzaBytes
                + " bytes of stanzas (more than " + MAX_RATIO + " times)");
        assertTrue(peakLog <= MAX_LOG_BYTES, "the log reached " + peakLog + " bytes");
        assertTrue(closed <= MAX_RATIO * stanzaBytes, "after close: " + closed + " bytes");
        assertEquals(0, size(log()), "a clean stop leaves no log behind");

        try (Storage reopened = JdbcStorage.open(JdbcStorageSqliteTest.EMBEDDED, dataDirectory)) {
            long total = 0;
            for (int a = 0; a < ARCHIVES; a++) {
                ArchiveStore.Page page = reopened.archive().page(new ArchiveStore.Filter(owner(a), null, null, null),
                        new ArchiveStore.Paging(null, null, true, 2));
                total += page.count();
                List<ArchiveStore.Entry> last = page.entries();
                int newest = MESSAGES - ARCHIVES + a; // the last message of archive a
                assertEquals("id" + newest, last.get(last.size() - 1).id(), "newest message of " + owner(a));
                assertEquals(entry(newest), last.get(last.size() - 1), "entry id" + newest + " intact");
            }
            assertEquals(MESSAGES, total, "every committed message is there after reopening");
        }
    }

    /**
     * The retention purge of 90% of the archive, then a clean stop: the file gives the freed pages back
     * (incremental auto-vacuum at stop), so it ends near the size of what is left, not of what was there.
     */
    @Test
    void deletingMostMessagesAndStoppingShrinksTheFile() throws IOException {
        long stanzaBytes = 0;
        try (Storage storage = JdbcStorage.open(JdbcStorageSqliteTest.EMBEDDED, dataDirectory)) {
            List<ArchiveStore.Appended> batch = new ArrayList<>();
            for (int i = 0; i < MESSAGES; i++) {
                ArchiveStore.Entry entry = entry(i);
                stanzaBytes += entry.stanza().length();
                batch.add(new ArchiveStore.Appended(owner(i), entry));
                if (batch.size() == 500) {
                    storage.archive().appendAll(batch);
                    batch.clear();
                }
            }
        }
        long full = size(database());
        int kept = MESSAGES / 10;
        try (Storage storage = JdbcStorage.open(JdbcStorageSqliteTest.EMBEDDED, dataDirectory)) {
            assertEquals(MESSAGES - kept, storage.archive().deleteOlderThan(entry(MESSAGES - kept).sent()));
        }
        long purged = size(database());
        LOG.info("{} messages: {} bytes; {} left after the purge and a stop: {} bytes", MESSAGES, full, kept, purged);
        assertTrue(full <= MAX_RATIO * stanzaBytes, "full: " + full + " bytes for " + stanzaBytes + " of stanzas");
        assertTrue(purged <= MAX_RATIO * stanzaBytes / 10 + 256 * 1024, "after deleting 90% and a stop the file still "
                + "has " + purged + " bytes (" + full + " before)");
        assertFalse(Files.exists(log()) && size(log()) > 0, "no log left after the stop");

        try (Storage reopened = JdbcStorage.open(JdbcStorageSqliteTest.EMBEDDED, dataDirectory)) {
            long total = 0;
            for (int a = 0; a < ARCHIVES; a++) {
                total += reopened.archive().page(new ArchiveStore.Filter(owner(a), null, null, null),
                        new ArchiveStore.Paging(null, null, true, 1)).count();
            }
            assertEquals(kept, total);
        }
    }

    private static ArchiveStore.Entry entry(int i) {
        String stanza = "<message xmlns='jabber:client' type='chat' id='m" + i + "'><body>" + i + " "
                + "x".repeat(200) + "</body></message>";
        return new ArchiveStore.Entry("id" + i, "peer@example.org/x",
                Instant.parse("2026-01-01T00:00:00Z").plusMillis(i), stanza);
    }

    private static String owner(int i) {
        return "user" + (i % ARCHIVES) + "@example.org";
    }
}
