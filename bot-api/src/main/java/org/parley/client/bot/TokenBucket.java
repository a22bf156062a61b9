package org.parley.client.bot;

import java.time.Duration;
import java.util.function.LongSupplier;

/** A token bucket: {@code capacity} tokens, one more every {@code refill} (never when refill is zero). */
public final class TokenBucket {

    private final int capacity;
    private final long refillNanos;
    private final LongSupplier clock;
    private double tokens;
    private long last;

    public TokenBucket(int capacity, Duration refill, LongSupplier nanoClock) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity: " + capacity);
        }
        this.capacity = capacity;
        this.refillNanos = refill.toNanos();
        this.clock = nanoClock;
        this.tokens = capacity;
        this.last = nanoClock.getAsLong();
    }

    public TokenBucket(int capacity, Duration refill) {
        this(capacity, refill, System::nanoTime);
    }

    /** Takes a token if one is there. */
    public synchronized boolean tryTake() {
        refill();
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }

    /** Nanoseconds until the next token, 0 if one is there, {@code Long.MAX_VALUE} if none ever comes. */
    public synchronized long nanosUntilToken() {
        refill();
        if (tokens >= 1) {
            return 0;
        }
        if (refillNanos <= 0) {
            return Long.MAX_VALUE;
        }
        return (long) Math.ceil((1 - tokens) * refillNanos);
    }

    private void refill() {
        long now = clock.getAsLong();
        if (refillNanos > 0) {
            tokens = Math.min(capacity, tokens + (double) (now - last) / refillNanos);
        }
        last = now;
    }
}
