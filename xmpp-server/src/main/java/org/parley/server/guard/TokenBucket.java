package org.parley.server.guard;

/**
 * A token bucket: {@code capacity} tokens, refilled at {@code perSecond}; taking more than there are is refused
 * (or, with {@link #take(double)}, allowed into debt, reported as the wait until the bucket is positive again).
 * Thread-safe; time comes from {@link System#nanoTime()}.
 */
public final class TokenBucket {

    private final double capacity;
    private final double perNano;
    private double tokens;
    private long last;

    public TokenBucket(double capacity, double perSecond) {
        this.capacity = capacity;
        this.perNano = perSecond / 1e9;
        this.tokens = capacity;
        this.last = System.nanoTime();
    }

    private void refill(long now) {
        tokens = Math.min(capacity, tokens + (now - last) * perNano);
        last = now;
    }

    /** Takes one token if there is one. */
    public synchronized boolean tryTake() {
        refill(System.nanoTime());
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }

    /** Takes {@code amount} tokens even into debt; returns the nanoseconds until the bucket is no longer in debt. */
    public synchronized long take(double amount) {
        refill(System.nanoTime());
        tokens -= amount;
        return tokens >= 0 ? 0 : (long) Math.ceil(-tokens / perNano);
    }

    /** True once the bucket is full again (nothing taken recently): the caller may forget it. */
    public synchronized boolean isFull() {
        refill(System.nanoTime());
        return tokens >= capacity;
    }
}
