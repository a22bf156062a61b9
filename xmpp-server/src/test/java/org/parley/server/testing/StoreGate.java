package org.parley.server.testing;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A test's gate inside a store: while it is closed, a write that reaches {@link #hold} announces itself and
 * waits until the test opens it. Tests wait on the announcement, never on a sleep.
 */
public final class StoreGate {

    private final String store;
    /** One permit per write that reached the closed gate. */
    private final Semaphore entered = new Semaphore(0);
    private volatile CountDownLatch gate = new CountDownLatch(0);

    /** @param store what the gate sits in, for the message when a test never opens it */
    public StoreGate(String store) {
        this.store = store;
    }

    /** From now on writes wait at the gate. */
    public void close() {
        gate = new CountDownLatch(1);
    }

    /** Lets every held and later write through. */
    public void open() {
        gate.countDown();
    }

    /** True when a write reached the closed gate within the timeout. */
    public boolean awaitEntered(long timeout, TimeUnit unit) throws InterruptedException {
        return entered.tryAcquire(timeout, unit);
    }

    /** Called by the store's write: returns at once while the gate is open, else waits (at most 60 s). */
    public void hold() {
        CountDownLatch g = gate;
        if (g.getCount() == 0) {
            return;
        }
        entered.release();
        try {
            if (!g.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test never released the " + store);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
