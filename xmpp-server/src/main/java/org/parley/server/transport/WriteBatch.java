package org.parley.server.transport;

import java.util.ArrayList;
import java.util.List;

/**
 * A stretch of work on one thread that writes to connections (a room's fan-out, one stanza's handling): transports
 * that hand writes to an event loop queue them as usual but wake the loop once, when the stretch ends, instead
 * of at each write (issue 18); batching transports (WebSocket) flush there. Without it, a loop on another core
 * drains each write as it comes and goes back to sleep, so a room message to twenty occupants cost about twenty
 * wake-ups (an eventfd write each, and a select return and context switch on the loop's side) instead of one per
 * loop.
 *
 * <p>Only the wake-up waits: writes are queued at once and in order, so nothing is reordered, and a loop woken
 * for another reason meanwhile writes them too. Confined to the calling thread by design (the stretch is the
 * caller's own synchronous work); it carries no context, only the wake-ups owed at its end. Nesting is allowed:
 * the outermost stretch wakes. A long stretch (a busy room whose deliverer keeps finding more in its outbox)
 * wakes its loops every {@value #MAX_DEFERRED} writes, so what it queued never waits long.
 */
public final class WriteBatch {

    private static final ThreadLocal<WriteBatch> CURRENT = new ThreadLocal<>();
    /** Writes after which the loops are woken even though the stretch goes on. */
    static final int MAX_DEFERRED = 256;

    /** Wake-ups owed, each once (a handful: one per event loop written to). */
    private final List<Runnable> owed = new ArrayList<>();
    private int deferred;

    private WriteBatch() {
    }

    /** Runs {@code work}; the event loops it wrote to are woken after it (also when it throws). */
    public static <E extends Exception> void run(Work<E> work) throws E {
        if (CURRENT.get() != null) {
            work.run(); // nested: the outer stretch wakes
            return;
        }
        WriteBatch batch = new WriteBatch();
        CURRENT.set(batch);
        try {
            work.run();
        } finally {
            CURRENT.remove();
            batch.wakeAll();
        }
    }

    /** The stretch's work; it may throw what its caller handles (a stanza's handling: a stream error). */
    @FunctionalInterface
    public interface Work<E extends Exception> {
        void run() throws E;
    }

    /**
     * For transports, after queueing a write: when the calling thread is inside {@link #run}, {@code wakeUp}
     * (compared by identity: pass the same instance for the same loop) is owed to its end and this returns
     * true; otherwise it returns false and the caller wakes its loop itself, now.
     */
    public static boolean deferWakeUp(Runnable wakeUp) {
        WriteBatch batch = CURRENT.get();
        if (batch == null) {
            return false;
        }
        if (!batch.owes(wakeUp)) {
            batch.owed.add(wakeUp);
        }
        if (++batch.deferred >= MAX_DEFERRED) {
            batch.wakeAll();
        }
        return true;
    }

    private boolean owes(Runnable wakeUp) {
        for (Runnable r : owed) {
            if (r == wakeUp) {
                return true;
            }
        }
        return false;
    }

    /** Runs every wake-up owed so far, even when one throws (the first failure is rethrown after all ran). */
    private void wakeAll() {
        deferred = 0;
        if (owed.isEmpty()) {
            return;
        }
        Runnable[] now = owed.toArray(new Runnable[0]);
        owed.clear();
        RuntimeException failed = null;
        for (Runnable wakeUp : now) {
            try {
                wakeUp.run();
            } catch (RuntimeException e) {
                failed = failed == null ? e : failed;
            }
        }
        if (failed != null) {
            throw failed;
        }
    }
}
