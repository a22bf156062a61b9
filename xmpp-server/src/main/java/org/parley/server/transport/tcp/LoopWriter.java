package org.parley.server.transport.tcp;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

import io.netty.channel.EventLoop;
import io.netty.util.internal.PlatformDependent;

import org.parley.server.transport.WriteBatch;

/**
 * Write coalescing for the connections of one Netty event loop (issue 18). Stanzas for a connection are
 * produced on worker threads (the sender's session); instead of one task and one wake-up of the event loop
 * per stanza, they are queued here and one task drains the queue on the loop, writing every stanza to its
 * channel and flushing each channel it touched once. A room message to a hundred occupants served by two
 * event loops costs two tasks and a hundred writes, not a hundred tasks and a hundred flushes.
 *
 * <p>Order per connection is the queue's order (one multi-producer, single-consumer FIFO per loop). A
 * connection's own steps that must follow its writes (STARTTLS, close) go through the same queue
 * ({@link #execute}): submitted to the loop directly, they would overtake writes left for the next drain
 * when one drain's batch ends before them.
 *
 * <p>A producer inside a {@link WriteBatch} (a room's fan-out) queues at once but wakes the loop only when its
 * batch ends: otherwise the loop, on another core, drains each write as it comes and sleeps again, one wake-up
 * per occupant.
 */
final class LoopWriter implements Runnable {

    /** Most stanzas one drain writes before it yields the loop to its other work (reads, timers). */
    private static final int BATCH = 1024;

    private static final Map<EventLoop, LoopWriter> WRITERS = new ConcurrentHashMap<>();

    private final EventLoop loop;
    private final Queue<Pending> queue = PlatformDependent.newMpscQueue();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    /** Connections written in the current drain (event loop only). */
    private final List<C2sConnection> touched = new ArrayList<>();
    /** The same instance each time, so a {@link WriteBatch} owes it once. */
    private final Runnable wakeUp = this::wakeUp;
    /** Drains scheduled, over all loops (for tests: how well writes coalesce). */
    private static final LongAdder WAKE_UPS = new LongAdder();

    /** A stanza's bytes for a connection, or (bytes null) a step of the connection's to run in order. */
    private record Pending(C2sConnection connection, byte[] bytes, Runnable task) {
    }

    private LoopWriter(EventLoop loop) {
        this.loop = loop;
    }

    /** The writer of {@code loop}, made on first use and forgotten when the loop ends. */
    static LoopWriter of(EventLoop loop) {
        LoopWriter writer = WRITERS.get(loop);
        if (writer != null) {
            return writer;
        }
        return WRITERS.computeIfAbsent(loop, l -> {
            l.terminationFuture().addListener(f -> WRITERS.remove(l));
            return new LoopWriter(l);
        });
    }

    /** Queues {@code bytes} for {@code connection}; any thread. */
    void write(C2sConnection connection, byte[] bytes) {
        add(new Pending(connection, bytes, null));
    }

    /**
     * Runs {@code task} on the loop after everything queued before it (any thread); the task flushes what it
     * needs written ahead of it (Netty's writeAndFlush does).
     */
    void execute(C2sConnection connection, Runnable task) {
        add(new Pending(connection, null, task));
    }

    private void add(Pending pending) {
        queue.add(pending);
        if (!WriteBatch.deferWakeUp(wakeUp)) {
            wakeUp();
        }
    }

    /** Schedules a drain unless one is scheduled and has not started yet. */
    private void wakeUp() {
        if (scheduled.compareAndSet(false, true)) {
            WAKE_UPS.increment();
            loop.execute(this);
        }
    }

    /** Drains scheduled so far in this JVM, over all loops. */
    static long wakeUps() {
        return WAKE_UPS.sum();
    }

    /** The drain, on the event loop. */
    @Override
    public void run() {
        // Cleared before polling: whatever a producer adds from now on is either taken by this drain or
        // schedules the next one.
        scheduled.set(false);
        Pending p;
        int n = 0;
        while (n < BATCH && (p = queue.poll()) != null) {
            if (p.task() != null) {
                p.task().run();
            } else if (p.connection().writeNow(p.bytes())) {
                touched.add(p.connection());
            }
            n++;
        }
        for (C2sConnection c : touched) {
            c.flushNow();
        }
        touched.clear();
        if (!queue.isEmpty() && scheduled.compareAndSet(false, true)) {
            WAKE_UPS.increment();
            loop.execute(this); // more than a batch: the rest after the loop's other work
        }
    }
}
