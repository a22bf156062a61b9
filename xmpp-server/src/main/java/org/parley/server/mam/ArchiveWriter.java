package org.parley.server.mam;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.parley.server.storage.ArchiveStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes archive entries in batches on one thread (group commit): a message costs a queue insertion on
 * the routing path instead of a synchronous database commit, and a burst of messages from many sessions
 * becomes one transaction. While nobody waits for a commit the writer also gathers what arrives within
 * {@link #LINGER_MILLIS} after the first entry of a batch, so that a steady trickle (a few hundred
 * messages a second, each alone in the queue) is not one commit per message either: a commit costs more
 * than the rows it writes. A waiter (an acknowledgement request, a query) ends that wait at once. Queries wait until everything queued before them is written, so a client always
 * finds what it was sent; a stream waits for the entries of the stanzas it handled ({@link #awaitStored})
 * before it answers an XEP-0198 acknowledgement request, and is told when some of them could not be
 * stored, so an acknowledgement means committed. A batch the database refuses is tried again twice (a
 * dropped connection, a deadlock victim) before its entries count as failed. {@link #close} writes what is
 * still queued.
 */
final class ArchiveWriter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ArchiveWriter.class);
    private static final int BATCH = 500;
    /** Markers in the queue, told apart by identity: the end, and "someone waits: commit now". */
    private static final ArchiveStore.Appended STOP = new ArchiveStore.Appended(null, null);
    private static final ArchiveStore.Appended FLUSH = new ArchiveStore.Appended(null, null);
    /**
     * The longest an entry waits for others to share its commit when nobody waits for it. Short against a
     * client's patience (an acknowledgement or a query does not wait for it at all), long against a commit.
     */
    static final long LINGER_MILLIS = 20;
    /** Pauses before the second and third attempt at a batch. */
    private static final long[] RETRY_MILLIS = {100, 500};
    /** How long a waiter waits for the writer before it treats its entries as not stored. */
    static final long WAIT_SECONDS = 10;
    /** Failed ranges kept; older ones are folded into {@link #failedThrough}. */
    private static final int FAILED_RANGES_KEPT = 1024;

    private final ArchiveStore store;
    private final long lingerNanos;
    private final BlockingQueue<ArchiveStore.Appended> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private final Object progress = new Object();
    /** The ticket of the last entry queued; tickets follow queue order, so every batch is a range of them. */
    private long queued;
    /** Every ticket up to this one was attempted: stored, or in {@link #failed}. */
    private long written;
    /** Ranges of tickets that could not be stored, first ticket to last. */
    private final NavigableMap<Long, Long> failed = new TreeMap<>();
    /** Tickets up to this one may have failed (ranges dropped from {@link #failed} to bound it). */
    private long failedThrough;
    /** The writer thread has ended (closed): what is not written by now never will be. */
    private boolean stopped;

    ArchiveWriter(ArchiveStore store) {
        this(store, LINGER_MILLIS);
    }

    /** With another linger time: 0 commits whenever the queue is empty (benchmarks compare the two). */
    ArchiveWriter(ArchiveStore store, long lingerMillis) {
        this.store = store;
        this.lingerNanos = TimeUnit.MILLISECONDS.toNanos(lingerMillis);
        this.thread = new Thread(this::run, "parley-archive-writer");
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues the entry; returns its ticket for {@link #awaitStored}. */
    long append(String archive, ArchiveStore.Entry entry) {
        synchronized (progress) {
            queue.add(new ArchiveStore.Appended(archive, entry));
            return ++queued;
        }
    }

    /**
     * Blocks until everything queued before the call was attempted (or {@link #WAIT_SECONDS} passed); for
     * queries, which answer with what is stored either way (a batch that failed is logged when it fails).
     *
     * @return false when the writer is still behind after the wait (logged)
     */
    boolean awaitWritten() throws InterruptedException {
        synchronized (progress) {
            return waitFor(queued);
        }
    }

    /**
     * Blocks until the entries with tickets {@code first} to {@code last} were attempted (or
     * {@link #WAIT_SECONDS} passed).
     *
     * @return true when they are all stored; false when one of them could not be, or the writer is late
     */
    boolean awaitStored(long first, long last) throws InterruptedException {
        synchronized (progress) {
            if (!waitFor(last)) {
                return false;
            }
            if (first <= failedThrough) {
                return false;
            }
            // Ranges are disjoint: only the one starting last at or before 'last' can reach back to 'first'.
            Map.Entry<Long, Long> range = failed.floorEntry(last);
            return range == null || range.getValue() < first;
        }
    }

    /** Waits, holding {@link #progress}, until ticket {@code last} was attempted; false after the time limit. */
    private boolean waitFor(long last) throws InterruptedException {
        if (written < last && !stopped) {
            queue.add(FLUSH); // behind the awaited entries: the writer commits them without lingering
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (written < last) {
            if (stopped) {
                return false; // at shutdown: no point in holding a worker thread for the time limit
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                LOG.warn("archive writer is {} entries behind after {} s", last - written, WAIT_SECONDS);
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(progress, left);
        }
        return true;
    }

    private void run() {
        try {
            writeUntilStopped();
        } finally {
            synchronized (progress) {
                stopped = true;
                progress.notifyAll();
            }
        }
    }

    private void writeUntilStopped() {
        List<ArchiveStore.Appended> batch = new ArrayList<>(BATCH);
        while (true) {
            try {
                boolean stop = gather(batch);
                write(batch);
                batch.clear();
                if (stop) {
                    write(drain());
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Fills the batch: waits for a first entry, then takes what follows until the batch is full, someone
     * waits for a commit, {@link #LINGER_MILLIS} have passed, or the writer is told to stop.
     *
     * @return whether to stop after this batch
     */
    private boolean gather(List<ArchiveStore.Appended> batch) throws InterruptedException {
        ArchiveStore.Appended next = queue.take();
        long deadline = System.nanoTime() + lingerNanos;
        while (true) {
            if (next == STOP) {
                return true;
            }
            if (next == FLUSH) {
                return false;
            }
            batch.add(next);
            if (batch.size() >= BATCH) {
                return false;
            }
            next = queue.poll();
            if (next == null) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || (next = queue.poll(left, TimeUnit.NANOSECONDS)) == null) {
                    return false;
                }
            }
        }
    }

    private List<ArchiveStore.Appended> drain() {
        List<ArchiveStore.Appended> rest = new ArrayList<>();
        queue.drainTo(rest);
        rest.removeIf(a -> a == STOP || a == FLUSH);
        return rest;
    }

    /** Counts written entries and times each commit (issue 20 metrics); set once before traffic. */
    volatile io.micrometer.core.instrument.Counter writes;
    volatile io.micrometer.core.instrument.Timer commits;

    private void write(List<ArchiveStore.Appended> batch) {
        if (batch.isEmpty()) {
            return;
        }
        long started = System.nanoTime();
        boolean stored = false;
        for (int attempt = 0; !stored; attempt++) {
            try {
                store.appendAll(batch);
                stored = true;
            } catch (RuntimeException e) { // StorageException, or anything else: the writer thread must go on
                if (attempt == RETRY_MILLIS.length) {
                    LOG.error("{} messages could not be archived after {} attempts: {}", batch.size(), attempt + 1,
                            e.getMessage());
                    break;
                }
                LOG.warn("archiving {} messages failed (attempt {}), trying again in {} ms: {}", batch.size(),
                        attempt + 1, RETRY_MILLIS[attempt], e.getMessage());
                try {
                    Thread.sleep(RETRY_MILLIS[attempt]); // a back-off before a retry, not a wait for an outcome
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        if (stored && commits != null) {
            commits.record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
            writes.increment(batch.size());
        }
        synchronized (progress) {
            long first = written + 1;
            written += batch.size();
            if (!stored) {
                failed.put(first, written);
                if (failed.size() > FAILED_RANGES_KEPT) {
                    failedThrough = Math.max(failedThrough, failed.pollFirstEntry().getValue());
                }
            }
            progress.notifyAll();
        }
    }

    /** Writes what is queued and stops the writer thread. */
    @Override
    public void close() {
        queue.add(STOP);
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
