package org.parley.server.routing;

import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.Executor;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time, in submission order, on a shared pool: one per session, so that a session's
 * stanzas are processed in the order they arrived (RFC 6120 §10.1) while different sessions run in
 * parallel. A task that throws is logged and does not stop the ones after it.
 */
public final class SerialExecutor implements Executor {

    private static final Logger LOG = LoggerFactory.getLogger(SerialExecutor.class);

    private final Executor pool;
    private final Queue<Runnable> tasks = new ArrayDeque<>(4); // usually empty or nearly; grows when busy
    private boolean running;

    public SerialExecutor(Executor pool) {
        this.pool = pool;
    }

    @Override
    public void execute(Runnable task) {
        synchronized (tasks) {
            tasks.add(task);
            if (running) {
                return;
            }
            running = true;
        }
        pool.execute(this::runAll);
    }

    /** Tasks queued and not yet started; lets a transport stop reading from a flooding peer. */
    public int backlog() {
        synchronized (tasks) {
            return tasks.size();
        }
    }

    private void runAll() {
        // Bounded batch so one busy session cannot starve the others on the pool.
        for (int i = 0; i < 64; i++) {
            Runnable next;
            synchronized (tasks) {
                next = tasks.poll();
                if (next == null) {
                    running = false;
                    return;
                }
            }
            try {
                next.run();
            } catch (RuntimeException | Error e) {
                LOG.error("task failed", e);
            }
        }
        pool.execute(this::runAll);
    }
}
