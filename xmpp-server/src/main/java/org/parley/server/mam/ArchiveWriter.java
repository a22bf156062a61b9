package org.parley.server.mam;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

import org.parley.server.storage.ArchiveStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes archive entries in batches on one thread (group commit): a message costs a queue insertion on
 * the routing path instead of a synchronous database commit, and a burst of messages from many sessions
 * becomes one transaction. While nobody waits for a commit the writer also gathers what arrives within
 * {@link #LINGER_MILLIS} after the first entry of a batch, so that a steady trickle (a few hundred
 * messages a second, each alone in the queue) is not one commit per message either: a commit costs more
 * than the rows it writes. A batch ends at {@link #BATCH} entries, at the linger's end, or when someone
 * waits (an acknowledgement request, a query), whichever comes first.
 *
 * <p>Queries wait until everything queued before them is written ({@link #awaitWritten}), so a client
 * always finds what it was sent. A stream that must acknowledge (XEP-0198) asks {@link #whenStored} for the
 * tickets of the stanzas it handled and gets a future the writer completes after the commit — true when they
 * are all stored — so an acknowledgement means committed and no thread waits for it. A batch the database
 * refuses is tried again twice (a dropped connection, a deadlock victim) before its entries count as failed.
 *
 * <p>The queue is bounded in entries and in bytes ({@link #MAX_QUEUED}, {@link #MAX_QUEUED_CHARS}): a
 * producer asks for room first ({@link #admit}), waiting at most {@link #ADMIT_WAIT_MILLIS} while the writer
 * catches up, and the caller refuses its message when there is none (see {@link MessageArchive#admit}).
 * {@link #close} writes what is still queued.
 */
final class ArchiveWriter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ArchiveWriter.class);
    static final int BATCH = 500;
    /** Markers in the queue, told apart by identity: the end, and "someone waits: commit now". */
    private static final ArchiveStore.Appended STOP = new ArchiveStore.Appended(null, null);
    private static final ArchiveStore.Appended FLUSH = new ArchiveStore.Appended(null, null);
    /**
     * The longest an entry waits for others to share its commit when nobody waits for it. Short against a
     * client's patience (an acknowledgement or a query does not wait for it at all), long against a commit:
     * a commit's fixed cost (SQLite: the log frames of the table, its indexes and the counters, a system call
     * each) was most of the archive's CPU per message at low rates (issues 18 and 23). At 200 messages a second
     * a commit carries about twenty messages: 66-69 us of writer CPU per message, against 87-90 with 50 ms and
     * 49-50 with 200 ms (same machine and run, benchmarks/archive/README.md); 100 ms keeps the 100 us bound with
     * a margin on a quiet machine, where the figures come out higher. What it risks: a process killed within it
     * loses messages nobody was told are stored (a client that wants to know asks for an XEP-0198
     * acknowledgement, which ends the wait).
     */
    static final long LINGER_MILLIS = 100;
    /** Pauses before the second and third attempt at a batch. */
    private static final long[] RETRY_MILLIS = {100, 500};
    /** How long a blocking waiter (a query, a test) waits for the writer before it gives up. */
    static final long WAIT_SECONDS = 10;
    /** Failed ranges kept; older ones are folded into {@link #failedThrough}. */
    private static final int FAILED_RANGES_KEPT = 1024;
    /**
     * Entries the queue holds before producers must wait: 40 full batches, several seconds of the heaviest
     * load the writer meets on a small machine, so only a stalled or overwhelmed database reaches it.
     */
    static final int MAX_QUEUED = 20_000;
    /** Characters of stanzas the queue holds before producers must wait (two bytes each in the heap). */
    static final long MAX_QUEUED_CHARS = 16L * 1024 * 1024;
    /** The longest a producer waits for room in a full queue before its message is refused. */
    static final long ADMIT_WAIT_MILLIS = 1_000;
    /**
     * An append past this is refused even for an admitted message: the slack between {@link #MAX_QUEUED} and it
     * absorbs the entries of messages admitted just before the queue filled (a 1:1 message adds two).
     */
    static final int HARD_MAX_QUEUED = 2 * MAX_QUEUED;

    private final ArchiveStore store;
    private final long lingerNanos;
    private final BlockingQueue<ArchiveStore.Appended> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private final Object progress = new Object();
    /** The ticket of the last entry queued; tickets follow queue order, so every batch is a range of them. */
    private long queued;
    /** Every ticket up to this one was attempted: stored, or in {@link #failed}. */
    private long written;
    /** Characters of the stanzas queued and not yet attempted. */
    private long queuedChars;
    /** Ranges of tickets that could not be stored, first ticket to last. */
    private final NavigableMap<Long, Long> failed = new TreeMap<>();
    /** Tickets up to this one may have failed (ranges dropped from {@link #failed} to bound it). */
    private long failedThrough;
    /** The writer thread has ended (closed): what is not written by now never will be. */
    private boolean stopped;
    /** Futures of {@link #whenStored}, by the last ticket they cover (then by arrival), completed in that order. */
    private final PriorityQueue<Waiter> waiters = new PriorityQueue<>();
    private long waitersArrived;
    /** A marker (FLUSH, STOP) was queued: a lingering writer looks at the queue now. */
    private volatile boolean urgent;
    /** Test hook: the writer waits for this before each batch it writes. */
    private volatile Gate gate;

    /** Holds the writer before a batch (tests make a slow database deterministic with it). */
    @FunctionalInterface
    interface Gate {
        void beforeBatch(int entries) throws InterruptedException;
    }

    private record Waiter(long first, long last, long arrival, CompletableFuture<Boolean> future)
            implements Comparable<Waiter> {
        @Override
        public int compareTo(Waiter o) {
            int byLast = Long.compare(last, o.last);
            return byLast != 0 ? byLast : Long.compare(arrival, o.arrival);
        }
    }

    /** Thrown by {@link #append} when the queue is full beyond its slack: the entry was not queued. */
    static final class QueueFullException extends RuntimeException {
        QueueFullException() {
            super("the message archive is overloaded", null, false, false);
        }
    }

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

    void gate(Gate gate) {
        this.gate = gate;
    }

    /**
     * Waits (at most {@code waitMillis}) until the queue is below its bounds.
     *
     * @return false when it is still full (or the writer stopped): the caller must not queue its message
     */
    boolean admit(long waitMillis) throws InterruptedException {
        synchronized (progress) {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
            while (full(MAX_QUEUED)) {
                long left = deadline - System.nanoTime();
                if (stopped || left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(progress, left);
            }
            return !stopped;
        }
    }

    /** Holding {@link #progress}. */
    private boolean full(int entries) {
        return queued - written >= entries || queuedChars >= MAX_QUEUED_CHARS;
    }

    /**
     * Queues the entry; returns its ticket for {@link #whenStored}.
     *
     * @throws QueueFullException when the queue is beyond even its slack ({@link #HARD_MAX_QUEUED})
     */
    long append(String archive, ArchiveStore.Entry entry) {
        synchronized (progress) {
            if (queued - written >= HARD_MAX_QUEUED || queuedChars >= 2 * MAX_QUEUED_CHARS) {
                throw new QueueFullException();
            }
            queue.add(new ArchiveStore.Appended(archive, entry));
            queuedChars += entry.stanza().length();
            if ((++queued - written) % BATCH == 0) {
                LockSupport.unpark(thread); // a full batch need not wait for the linger's end
            }
            return queued;
        }
    }

    /** Entries queued and not yet attempted (for tests and metrics). */
    int backlog() {
        synchronized (progress) {
            return (int) (queued - written);
        }
    }

    /**
     * Blocks until everything queued before the call was attempted (or {@link #WAIT_SECONDS} passed); for
     * queries, which answer with what is stored either way (a batch that failed is logged when it fails).
     *
     * @return false when the writer is still behind after the wait (logged)
     */
    boolean awaitWritten() throws InterruptedException {
        long last;
        synchronized (progress) {
            last = queued;
        }
        try {
            whenStored(last, last).get(WAIT_SECONDS, TimeUnit.SECONDS);
            return true;
        } catch (TimeoutException e) {
            LOG.warn("archive writer is still behind after {} s", WAIT_SECONDS);
            return false;
        } catch (ExecutionException e) {
            return false;
        }
    }

    /**
     * Blocking form of {@link #whenStored}, waiting at most {@link #WAIT_SECONDS} (tests, tools).
     *
     * @return true when they are all stored; false when one of them could not be, or the writer is late
     */
    boolean awaitStored(long first, long last) throws InterruptedException {
        try {
            return whenStored(first, last).get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            return false;
        }
    }

    /**
     * A future the writer completes once the entries with tickets {@code first} to {@code last} were attempted:
     * true when they are all stored, false when one of them could not be or the writer stopped first. It
     * completes on the writer thread (or at once, on the caller's), in the order of {@code last}; whoever
     * waits must not do long work there. The writer commits what it holds without lingering.
     */
    CompletableFuture<Boolean> whenStored(long first, long last) {
        synchronized (progress) {
            if (written >= last) {
                return CompletableFuture.completedFuture(storedLocked(first, last));
            }
            if (stopped) {
                return CompletableFuture.completedFuture(false);
            }
            CompletableFuture<Boolean> future = new CompletableFuture<>();
            waiters.add(new Waiter(first, last, waitersArrived++, future));
            queue.add(FLUSH); // behind the awaited entries: the writer commits them without lingering
            urgent = true;
            LockSupport.unpark(thread);
            return future;
        }
    }

    /** Holding {@link #progress}, with {@code last} attempted: whether {@code first..last} are all stored. */
    private boolean storedLocked(long first, long last) {
        if (first <= failedThrough) {
            return false;
        }
        // Ranges are disjoint: only the one starting last at or before 'last' can reach back to 'first'.
        Map.Entry<Long, Long> range = failed.floorEntry(last);
        return range == null || range.getValue() < first;
    }

    private void run() {
        try {
            writeUntilStopped();
        } finally {
            List<Waiter> late = new ArrayList<>();
            synchronized (progress) {
                stopped = true;
                while (!waiters.isEmpty()) {
                    Waiter w = waiters.poll();
                    if (written >= w.last()) {
                        w.future().complete(storedLocked(w.first(), w.last()));
                    } else {
                        late.add(w);
                    }
                }
                progress.notifyAll();
            }
            late.forEach(w -> w.future().complete(false));
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
     * Fills the batch: waits for a first entry, then gathers what arrives until the batch is full, someone
     * waits for a commit, {@link #LINGER_MILLIS} have passed, or the writer is told to stop. While it lingers
     * the writer sleeps: producers do not wake it per entry (that cost more than the rows at a few hundred
     * messages a second), only a marker (a waiter, the end) or a full batch does.
     *
     * @return whether to stop after this batch
     */
    private boolean gather(List<ArchiveStore.Appended> batch) throws InterruptedException {
        ArchiveStore.Appended next = queue.take();
        while (next == FLUSH) {
            // Someone waits for entries already written (or a previous FLUSH ended their batch): completing
            // the waiters costs nothing; then wait for the next entry.
            completeWaiters();
            next = queue.take();
        }
        if (next == STOP) {
            return true;
        }
        batch.add(next);
        long deadline = System.nanoTime() + lingerNanos;
        List<ArchiveStore.Appended> arrived = new ArrayList<>();
        while (true) {
            urgent = false;
            arrived.clear();
            queue.drainTo(arrived, BATCH - batch.size());
            boolean flushed = false;
            boolean stop = false;
            for (ArchiveStore.Appended a : arrived) {
                if (a == STOP) {
                    stop = true; // entries after it (none should come) are still written with this batch
                    continue;
                }
                if (a == FLUSH) {
                    // Entries behind the FLUSH stay in the batch: they are written no later for it.
                    flushed = true;
                    continue;
                }
                batch.add(a);
            }
            if (stop) {
                return true;
            }
            if (flushed || batch.size() >= BATCH) {
                return false;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            if (!urgent && queue.size() < BATCH - batch.size()) {
                LockSupport.parkNanos(this, left);
            }
            if (Thread.interrupted()) {
                throw new InterruptedException();
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

    private void write(List<ArchiveStore.Appended> batch) throws InterruptedException {
        if (batch.isEmpty()) {
            return;
        }
        Gate g = gate;
        if (g != null) {
            g.beforeBatch(batch.size());
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
        long chars = 0;
        for (ArchiveStore.Appended a : batch) {
            chars += a.entry().stanza().length();
        }
        synchronized (progress) {
            long first = written + 1;
            written += batch.size();
            queuedChars -= chars;
            if (!stored) {
                failed.put(first, written);
                if (failed.size() > FAILED_RANGES_KEPT) {
                    failedThrough = Math.max(failedThrough, failed.pollFirstEntry().getValue());
                }
            }
            progress.notifyAll(); // producers waiting for room
        }
        completeWaiters();
    }

    /** Completes, in order and outside the lock, the futures of everything attempted so far. */
    private void completeWaiters() {
        List<Waiter> done = null;
        List<Boolean> outcomes = null;
        synchronized (progress) {
            while (!waiters.isEmpty() && waiters.peek().last() <= written) {
                Waiter w = waiters.poll();
                if (done == null) {
                    done = new ArrayList<>();
                    outcomes = new ArrayList<>();
                }
                done.add(w);
                outcomes.add(storedLocked(w.first(), w.last()));
            }
        }
        if (done != null) {
            for (int i = 0; i < done.size(); i++) {
                try {
                    done.get(i).future().complete(outcomes.get(i));
                } catch (RuntimeException e) { // a dependent action's failure must not stop the writer
                    LOG.warn("an archive waiter failed: {}", e.toString());
                }
            }
        }
    }

    /** Writes what is queued and stops the writer thread. */
    @Override
    public void close() {
        queue.add(STOP);
        urgent = true;
        LockSupport.unpark(thread);
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
