package org.parley.server.mam;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.parley.server.storage.ArchiveStore;
import org.parley.server.storage.StorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes archive entries in batches on one thread (group commit): a message costs a queue insertion on
 * the routing path instead of a synchronous database commit, and a burst of messages from many sessions
 * becomes one transaction. Queries wait until everything queued before them is written, so a client always
 * finds what it was sent; a stream waits for the entries of the stanzas it handled ({@link #awaitWritten(long)})
 * before it answers an XEP-0198 acknowledgement request, so an acknowledgement means committed.
 * {@link #close} writes what is still queued.
 */
final class ArchiveWriter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ArchiveWriter.class);
    private static final int BATCH = 500;
    private static final ArchiveStore.Appended STOP = new ArchiveStore.Appended(null, null);

    private final ArchiveStore store;
    private final BlockingQueue<ArchiveStore.Appended> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private final Object progress = new Object();
    private long queued;
    private long written;

    ArchiveWriter(ArchiveStore store) {
        this.store = store;
        this.thread = new Thread(this::run, "parley-archive-writer");
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues the entry; returns its ticket for {@link #awaitWritten(long)}. */
    long append(String archive, ArchiveStore.Entry entry) {
        synchronized (progress) {
            queue.add(new ArchiveStore.Appended(archive, entry));
            return ++queued;
        }
    }

    /** Blocks until everything queued before the call is written (or 10 s passed). */
    void awaitWritten() throws InterruptedException {
        long target;
        synchronized (progress) {
            target = queued;
        }
        awaitWritten(target);
    }

    /** Blocks until the entry with this ticket, and all before it, are written (or 10 s passed). */
    void awaitWritten(long ticket) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        synchronized (progress) {
            long target = ticket;
            while (written < target) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    LOG.warn("archive writer is {} entries behind; answering the query without them", target - written);
                    return;
                }
                TimeUnit.NANOSECONDS.timedWait(progress, left);
            }
        }
    }

    private void run() {
        List<ArchiveStore.Appended> batch = new ArrayList<>(BATCH);
        while (true) {
            try {
                batch.add(queue.take());
                queue.drainTo(batch, BATCH - 1);
                boolean stop = batch.remove(STOP);
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

    private List<ArchiveStore.Appended> drain() {
        List<ArchiveStore.Appended> rest = new ArrayList<>();
        queue.drainTo(rest);
        rest.remove(STOP);
        return rest;
    }

    private void write(List<ArchiveStore.Appended> batch) {
        if (batch.isEmpty()) {
            return;
        }
        try {
            store.appendAll(batch);
        } catch (StorageException e) {
            LOG.error("{} messages could not be archived: {}", batch.size(), e.getMessage());
        }
        synchronized (progress) {
            written += batch.size();
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
