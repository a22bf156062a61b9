package org.parley.client.bot;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bot's output rate limit. Policy: every message the bot sends takes a token from a {@link TokenBucket}
 * (a burst of {@code burst} messages, then one per {@code refill}). Without a token the message waits in a
 * FIFO queue of at most {@code queueLimit} messages and goes out, in order, as tokens come back; when the
 * queue is full the message is dropped with a WARN log line. So a flood of commands never floods a room, a
 * short burst is answered completely, and a bot cannot build an unbounded backlog.
 */
public final class OutputLimiter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(OutputLimiter.class);

    /** Sends one message; failures are logged, not retried. */
    @FunctionalInterface
    public interface Send {
        void send() throws Exception;
    }

    private final TokenBucket bucket;
    private final int queueLimit;
    private final Deque<Send> queue = new ArrayDeque<>();
    private final ScheduledExecutorService drainer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "parley-bot-output");
        t.setDaemon(true);
        return t;
    });
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private boolean drainScheduled;

    public OutputLimiter(int burst, Duration refill, int queueLimit) {
        this.bucket = new TokenBucket(burst, refill);
        this.queueLimit = queueLimit;
    }

    /** Sends now, queues, or drops (see the class comment); false when dropped. */
    public synchronized boolean submit(String what, Send send) {
        if (queue.isEmpty() && bucket.tryTake()) {
            run(send);
            return true;
        }
        if (queue.size() >= queueLimit) {
            dropped.incrementAndGet();
            notifyAll(); // for awaitDropped
            LOG.warn("rate limit: dropped reply ({} queued, limit {}): {}", queue.size(), queueLimit, what);
            return false;
        }
        queue.addLast(send);
        scheduleDrain();
        return true;
    }

    private void scheduleDrain() {
        if (drainScheduled) {
            return;
        }
        long wait = bucket.nanosUntilToken();
        if (wait == Long.MAX_VALUE) {
            return; // no refill configured: queued messages wait forever (only sensible in tests)
        }
        drainScheduled = true;
        drainer.schedule(this::drain, wait, TimeUnit.NANOSECONDS);
    }

    private synchronized void drain() {
        drainScheduled = false;
        while (!queue.isEmpty() && bucket.tryTake()) {
            run(queue.pollFirst());
        }
        if (!queue.isEmpty()) {
            scheduleDrain();
        }
    }

    private void run(Send send) {
        try {
            send.send();
            sent.incrementAndGet();
        } catch (Exception e) {
            LOG.warn("could not send a reply: {}", e.toString());
        }
    }

    public long sent() {
        return sent.get();
    }

    public long dropped() {
        return dropped.get();
    }

    /** Waits until at least {@code count} replies were dropped; false when {@code timeout} passed first. */
    public synchronized boolean awaitDropped(long count, java.time.Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (dropped.get() < count) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    public synchronized int queued() {
        return queue.size();
    }

    @Override
    public void close() {
        drainer.shutdownNow();
    }
}
