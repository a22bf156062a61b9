package org.parley.server.guard;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * At most so many events per key within a sliding window, each event holding a slot that can be given back
 * (in-band registrations per address, XEP-0077 with XEP-0205 §4). {@link #local} keeps the slots in this
 * node's memory; a cluster supplies one every node shares (issue 19).
 */
public interface SlidingWindow {

    /**
     * Takes a slot under {@code key} unless {@code max} were taken within the last {@code window}.
     *
     * @return the slot (its time in epoch milliseconds) to {@link #release}, or -1 when over the limit
     */
    long take(String key, int max, Duration window);

    /** Gives back a slot {@link #take} returned, for an attempt that ended up not counting. */
    void release(String key, long slot);

    /** This node's memory, on {@code clock}; keys with no slot left in the window are forgotten now and then. */
    static SlidingWindow local(Clock clock) {
        return new SlidingWindow() {
            private final Map<String, Deque<Long>> recent = new ConcurrentHashMap<>();
            private final AtomicInteger takes = new AtomicInteger();

            @Override
            public long take(String key, int max, Duration window) {
                long now = clock.millis();
                long windowStart = now - window.toMillis();
                if (takes.incrementAndGet() % 256 == 0) {
                    recent.entrySet().removeIf(e -> {
                        synchronized (e.getValue()) {
                            Long last = e.getValue().peekLast();
                            return last == null || last < windowStart;
                        }
                    });
                }
                Deque<Long> times = recent.computeIfAbsent(key, k -> new ArrayDeque<>());
                synchronized (times) {
                    while (!times.isEmpty() && times.peekFirst() < windowStart) {
                        times.pollFirst();
                    }
                    if (times.size() >= max) {
                        return -1;
                    }
                    times.addLast(now);
                    return now;
                }
            }

            @Override
            public void release(String key, long slot) {
                Deque<Long> times = recent.get(key);
                if (times != null) {
                    synchronized (times) {
                        times.removeLastOccurrence(slot);
                    }
                }
            }
        };
    }
}
