package org.parley.server.storage.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.FileStore;
import org.h2.mvstore.MVStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compacts an H2 file database while the server runs, which H2 itself does not do with {@code WRITE_DELAY=0}.
 * (H2 was the embedded database before SQLite and stays an option by URL, see config/parley.conf; this
 * runs for every {@code jdbc:h2:file:} URL.)
 *
 * <p>An MVStore never overwrites data in place: every commit appends a chunk holding the B-tree pages it
 * changed, and an older chunk's space is reused only once none of its pages is live any more. Pages of a
 * chunk that stay live (a leaf that filled up and was left behind by the inserts) keep the whole chunk, so
 * without compaction the file grows with the number of commits rather than with the data (19 GB for well
 * under 1 GB of archive). H2 rewrites such sparse chunks in its background writer thread, but that thread
 * only runs with a write delay, and {@code WRITE_DELAY=0} is what makes every commit reach the file before it
 * is acknowledged (an acknowledged message must survive a killed process). This task does the same housekeeping on its own daemon thread:
 * {@link MVStore#compact(int, int)} copies the live pages of sparse chunks into a new chunk (a normal
 * commit), after which the old chunks are dead and their space is reused, and the file is truncated when
 * its tail is free.
 *
 * <p>The retention time stays at H2's default (45 s): a dead chunk is overwritten only once it is that old.
 * A killed process (kill -9) loses nothing either way, since every commit was written to the operating
 * system before it returned; the retention time is what keeps the file readable after a power loss or
 * an operating system crash, when the disk may have reordered writes that were never synced: the chunks the
 * last durable header points to must not have been overwritten yet. Lowering it would bound the file more
 * tightly (a few MB instead of 45 s worth of writes) at the price of that safety; for the same reason
 * {@link MVStore#compactFile(int)}, which lowers it to 0 for good, is not used while the database is open.
 */
final class H2Maintenance implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(H2Maintenance.class);

    /** Compact when less than this share of the chunks' bytes is live (H2's own writer aims at 90 / 45). */
    private static final int TARGET_FILL_RATE = 80;
    /**
     * Live bytes rewritten per {@code compact} call; one run makes several calls within its time budget. H2
     * holds its store lock, which every commit needs, for the whole call: small rounds keep that wait short.
     */
    private static final int WRITE_PER_ROUND = 4 * 1024 * 1024;
    /** Bounds one run, so maintenance never takes a large share of a busy disk. */
    private static final long RUN_BUDGET_MILLIS = 1000;
    /** Fruitless {@code compact} calls after which a run gives up. */
    private static final int MAX_MISSES = 5;
    /** At most one INFO line per this period; the other runs log at DEBUG. */
    private static final long INFO_EVERY_NANOS = TimeUnit.MINUTES.toNanos(5);

    /**
     * How often maintenance runs, and the retention time to set ({@code null}: H2's default). Only tests
     * shorten the retention time, so that a test need not write for minutes before anything may be reused.
     */
    record Schedule(Duration interval, Integer retentionMillis) {
        static final Schedule DEFAULT = new Schedule(Duration.ofSeconds(2), null);
    }

    private final DataSource dataSource;
    private final ScheduledExecutorService executor;
    private long lastInfo = System.nanoTime() - INFO_EVERY_NANOS;
    private long rewrittenRoundsSinceInfo;

    private H2Maintenance(DataSource dataSource) {
        this.dataSource = dataSource;
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "parley-h2-maintenance");
            t.setDaemon(true);
            return t;
        });
    }

    static H2Maintenance start(DataSource dataSource, Schedule schedule) {
        H2Maintenance maintenance = new H2Maintenance(dataSource);
        if (schedule.retentionMillis() != null) {
            try {
                maintenance.store().setRetentionTime(schedule.retentionMillis());
            } catch (RuntimeException e) {
                maintenance.executor.shutdownNow();
                throw e;
            }
        }
        long period = schedule.interval().toMillis();
        maintenance.executor.scheduleWithFixedDelay(maintenance::runSafely, period, period, TimeUnit.MILLISECONDS);
        return maintenance;
    }

    /** The MVStore behind the pool; the connection goes back at once, so maintenance holds no pool slot. */
    private MVStore store() {
        try (Connection connection = dataSource.getConnection()) {
            SessionLocal session = (SessionLocal) connection.unwrap(JdbcConnection.class).getSession();
            return session.getDatabase().getStore().getMvStore();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot reach the H2 store: " + Transactions.describe(e), e);
        }
    }

    private void runSafely() {
        try {
            run();
        } catch (RuntimeException e) {
            // A failed run (the database closing, a full disk) must not end the schedule; the next one retries.
            LOG.warn("H2 maintenance failed: {}", Transactions.describe(e));
        }
    }

    /** One bounded run: rewrite sparse chunks, a round of at most {@link #WRITE_PER_ROUND} at a time. */
    void run() {
        MVStore store = store();
        if (store.isClosed() || store.isReadOnly()) {
            return;
        }
        FileStore<?> file = store.getFileStore();
        long started = System.nanoTime();
        long sizeBefore = file.size();
        int chunkFillBefore = file.getChunksFillRate();
        int rounds = 0;
        int misses = 0;
        while (TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) < RUN_BUDGET_MILLIS) {
            if (store.compact(TARGET_FILL_RATE, WRITE_PER_ROUND)) {
                store.commit(); // writes the copied pages; the chunks they came from are now dead
                rounds++;
            } else if (file.getChunksFillRate() >= TARGET_FILL_RATE || ++misses > MAX_MISSES) {
                break;
            }
            // compact() is also false when it could not take the store lock within H2's 10 ms, which busy
            // writers often hold, or when the sparse chunks are younger than the retention time: a few tries.
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        rewrittenRoundsSinceInfo += rounds;
        boolean info = rounds > 0 && System.nanoTime() - lastInfo >= INFO_EVERY_NANOS;
        if (info || LOG.isDebugEnabled()) {
            String line = "H2 maintenance: rounds={} roundsSinceLastReport={} millis={} fileBytes={}->{} "
                    + "chunkFillPercent={}->{} fileFillPercent={}";
            Object[] values = {rounds, rewrittenRoundsSinceInfo, millis, sizeBefore, file.size(), chunkFillBefore,
                    file.getChunksFillRate(), file.getFillRate()};
            if (info) {
                LOG.info(line, values);
                lastInfo = System.nanoTime();
                rewrittenRoundsSinceInfo = 0;
            } else {
                LOG.debug(line, values);
            }
        }
    }

    /**
     * Stops the schedule, waiting for a run in progress. The file is then compacted by H2's own close, for at
     * most {@code MAX_COMPACT_TIME} (200 ms). A longer {@link MVStore#compactFile(int)} on the still open store
     * was tried and left out: with assertions on, H2 2.3.232 fails an internal check while moving chunks there
     * (in {@code RandomAccessStore.compactMoveChunks}), which is not a risk worth a smaller file after a restart.
     */
    @Override
    public void close() {
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("H2 maintenance did not stop within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
