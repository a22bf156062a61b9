package org.parley.server.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/** The wake-ups a {@link WriteBatch} defers: once per loop, at the end, bounded, and never lost. */
class WriteBatchTest {

    @Test
    void outsideABatchTheCallerWakesItself() {
        assertFalse(WriteBatch.deferWakeUp(() -> { }));
    }

    @Test
    void eachLoopIsWokenOnceWhenTheOutermostBatchEnds() {
        AtomicInteger a = new AtomicInteger();
        AtomicInteger b = new AtomicInteger();
        Runnable wakeA = a::incrementAndGet;
        Runnable wakeB = b::incrementAndGet;
        WriteBatch.run(() -> {
            for (int i = 0; i < 10; i++) {
                assertTrue(WriteBatch.deferWakeUp(wakeA));
                assertTrue(WriteBatch.deferWakeUp(wakeB));
            }
            WriteBatch.run(() -> assertTrue(WriteBatch.deferWakeUp(wakeA))); // nested: still owed to the outer one
            assertEquals(0, a.get() + b.get(), "nothing is woken before the batch ends");
        });
        assertEquals(1, a.get());
        assertEquals(1, b.get());
        assertFalse(WriteBatch.deferWakeUp(wakeA), "the batch is over");
    }

    @Test
    void aLongBatchWakesItsLoopsAlongTheWay() {
        AtomicInteger woken = new AtomicInteger();
        Runnable wake = woken::incrementAndGet;
        int writes = 3 * WriteBatch.MAX_DEFERRED + 1;
        WriteBatch.run(() -> {
            for (int i = 0; i < writes; i++) {
                WriteBatch.deferWakeUp(wake);
            }
            assertEquals(3, woken.get(), "woken after every " + WriteBatch.MAX_DEFERRED + " writes");
        });
        assertEquals(4, woken.get(), "and once more at the end for the last write");
    }

    @Test
    void aFailingBatchStillWakesEveryLoop() {
        AtomicInteger woken = new AtomicInteger();
        Runnable wake = woken::incrementAndGet;
        assertThrows(IllegalStateException.class, () -> WriteBatch.run(() -> {
            WriteBatch.deferWakeUp(wake);
            throw new IllegalStateException("delivery failed");
        }));
        assertEquals(1, woken.get());
        Runnable refusing = () -> {
            throw new IllegalStateException("loop shut down");
        };
        AtomicInteger after = new AtomicInteger();
        Runnable wakeAfter = after::incrementAndGet;
        assertThrows(IllegalStateException.class, () -> WriteBatch.run(() -> {
            WriteBatch.deferWakeUp(refusing);
            WriteBatch.deferWakeUp(wakeAfter);
        }));
        assertEquals(1, after.get(), "a loop that refuses does not stop the others being woken");
    }
}
