package org.parley.gateway.websocket;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * Write coalescing for WebSocket connections (issue 18), the idea of the TCP transport's {@code LoopWriter}.
 * A connection's messages are handed to Jetty in batch mode, which copies small frames into the connection's
 * batch buffer instead of writing each at once; the connection then asks for a flush here. One task on Jetty's
 * thread pool flushes every connection that asked since it last ran, once each: a room message to twenty
 * WebSocket occupants costs one task and twenty writes, and several messages to one connection that arrive
 * before the task runs (a fan-out burst, a MAM page, the presence burst after login) leave in one write.
 *
 * <p>Only for writes from outside a {@code WriteBatch}: a stanza's handling (a 1:1 message, a MAM page, a
 * presence broadcast) and a room's fan-out are batches, whose end flushes what they wrote on their own thread, with no
 * hand-off to this task. Writes from anywhere else (timers, storage completions, Jetty's own threads) come here:
 * none of their writers knows whether more for the same connection follows, and this task runs after them by
 * construction, without any of the delivery code knowing about transports.
 */
final class WebSocketFlusher implements Runnable {

    /** Most connections one task flushes before it hands the rest to a new task (other work gets a turn). */
    private static final int BATCH = 1024;

    private final Executor executor;
    private final Queue<XmppWebSocket> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    /** Connections flushed here, each a write handed from its writer's thread to this task's. */
    private final LongAdder flushed = new LongAdder();

    WebSocketFlusher(Executor executor) {
        this.executor = executor;
    }

    /** {@code socket} has batched output; it is flushed by the next task (any thread). */
    void flushSoon(XmppWebSocket socket) {
        queue.add(socket);
        if (scheduled.compareAndSet(false, true)) {
            submit();
        }
    }

    private void submit() {
        try {
            executor.execute(this);
        } catch (RejectedExecutionException e) {
            // Jetty is stopping: flush here, so nothing batched is left behind.
            scheduled.set(false);
            drain(Integer.MAX_VALUE);
        }
    }

    @Override
    public void run() {
        if (drain(BATCH)) {
            submit(); // more waiting: a fresh task, still marked scheduled
            return;
        }
        scheduled.set(false);
        // A connection queued after the last poll and before the flag was cleared saw it set and left the task to
        // us: take it (or let the newer task that already did).
        if (!queue.isEmpty() && scheduled.compareAndSet(false, true)) {
            submit();
        }
    }

    long flushed() {
        return flushed.sum();
    }

    /** Flushes up to {@code max} connections; true when more are waiting. */
    private boolean drain(int max) {
        for (int i = 0; i < max; i++) {
            XmppWebSocket socket = queue.poll();
            if (socket == null) {
                return false;
            }
            socket.flush();
            flushed.increment();
        }
        return !queue.isEmpty();
    }
}
