package org.parley.server.storage.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.server.config.ServerSettings.StorageSettings;
import org.parley.server.storage.ArchiveStore;
import org.parley.server.storage.Storage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded H2 file stays proportional to the data it holds under many small commits (issue 6): each
 * commit writes a new chunk, and without {@link H2Maintenance} the chunks that keep a few live pages are never
 * reused, so the file grows with the number of commits (about 20 KB each) instead of with the data.
 */
class H2FileGrowthTest {

    private static final Logger LOG = LoggerFactory.getLogger(H2FileGrowthTest.class);

    private static final StorageSettings EMBEDDED = new StorageSettings(null, null, null, 4);
    private static final int COMMITS = 20_000;
    private static final int ARCHIVES = 50;
    /**
     * The file may hold this many times the stanza bytes (the rows also hold ids, JIDs and indexes, and the
     * file up to a second of dead chunks). Measured on a loaded 2-core machine: 4.5 to 9 at the peak with
     * maintenance, 40 without it (229 MB for 5.7 MB of stanzas), and 2.5 after closing.
     */
    private static final int MAX_RATIO = 20;

    @TempDir
    Path dataDirectory;

    /**
     * One archived message per commit, through the storage API, spread over 50 archives. The retention time
     * is shortened to 1 s: with H2's default (45 s) no chunk may be reused before the run has lasted that
     * long, which would make the bound a matter of how fast the machine is; what is under test is that sparse
     * chunks get rewritten at all. Without maintenance the same run grows the file well past the bound.
     */
    @Test
    void manySmallCommitsKeepTheFileProportionalToTheData() throws IOException {
        Path file = dataDirectory.resolve("db").resolve("parley.mv.db");
        H2Maintenance.Schedule schedule = new H2Maintenance.Schedule(Duration.ofMillis(100), 1000);
        long stanzaBytes = 0;
        long peak = 0;
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        String padding = "x".repeat(200);
        try (Storage storage = JdbcStorage.open(EMBEDDED, dataDirectory, schedule)) {
            for (int i = 0; i < COMMITS; i++) {
                String stanza = "<message xmlns='jabber:client' type='chat' id='m" + i + "'><body>" + i + " " + padding
                        + "</body></message>";
                stanzaBytes += stanza.length();
                storage.archive().append(owner(i), new ArchiveStore.Entry("id" + i, "peer@example.org/x",
                        t0.plusMillis(i), stanza));
                if (i % 500 == 499) {
                    peak = Math.max(peak, Files.size(file));
                }
            }
            peak = Math.max(peak, Files.size(file));
            LOG.info("{} commits: {} stanza bytes, file {} bytes at the end of the fill, peak {} bytes",
                    COMMITS, stanzaBytes, Files.size(file), peak);
        }
        long closed = Files.size(file);
        LOG.info("file after close: {} bytes", closed);
        assertTrue(peak <= MAX_RATIO * stanzaBytes, "the file reached " + peak + " bytes for " + stanzaBytes
                + " bytes of stanzas (more than " + MAX_RATIO + " times)");
        assertTrue(closed <= peak, "closing grew the file to " + closed);

        try (Storage reopened = JdbcStorage.open(EMBEDDED, dataDirectory)) {
            long total = 0;
            for (int a = 0; a < ARCHIVES; a++) {
                ArchiveStore.Page page = reopened.archive().page(new ArchiveStore.Filter(owner(a), null, null, null),
                        new ArchiveStore.Paging(null, null, true, 2));
                total += page.count();
                List<ArchiveStore.Entry> last = page.entries();
                int newest = COMMITS - ARCHIVES + a; // the last message of archive a
                assertEquals("id" + newest, last.get(last.size() - 1).id(), "newest message of " + owner(a));
                assertTrue(last.get(last.size() - 1).stanza().contains("<body>" + newest + " "),
                        "stanza of id" + newest + " intact");
            }
            assertEquals(COMMITS, total, "every committed message is there after reopening");
        }
    }

    private static String owner(int i) {
        return "user" + (i % ARCHIVES) + "@example.org";
    }
}
