package org.parley.server.cluster;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import com.hazelcast.map.IMap;
import org.parley.server.guard.AuthThrottle;
import org.parley.server.guard.SlidingWindow;

/**
 * The abuse counters that must see every node (issue 19): failed authentications per address and per account
 * with the bans they lead to ({@link AuthThrottle.Ledger}), and in-band registrations per address
 * ({@link SlidingWindow}). An attacker spreading attempts over the nodes is counted as on one.
 *
 * <p>AP structures only: each counter is one entry of a Hazelcast map, changed by entry processors on the
 * partition that owns it (atomic per key without the CP subsystem), with a time to live so the map forgets a
 * key once its window is over. Times are taken on the partition owner inside the processor, so one key's
 * times come from one clock; readers compare with their own (cluster nodes are expected to run NTP — a skew
 * shifts a window's end by that much). If the cluster loses both copies of a partition (its owner and its
 * backup at once), the counts in it start again: a throttle errs towards letting someone try again.
 */
final class SharedThrottles implements AuthThrottle.Ledger, SlidingWindow {

    /** Key → {failures, window start, banned until} (epoch milliseconds on the partition owner). */
    static final String FAILURES = "parley.guard.failures";
    /** Banned key → until (epoch milliseconds): what the admin console lists, kept apart from the counts. */
    static final String BANS = "parley.guard.bans";
    /** Key → times of the slots taken in the window (epoch milliseconds, oldest first). */
    static final String WINDOWS = "parley.guard.windows";

    private final IMap<String, long[]> failures;
    private final IMap<String, Long> bans;
    private final IMap<String, long[]> windows;
    private final long windowMillis;

    SharedThrottles(HazelcastInstance hz, Duration authWindow) {
        this.failures = hz.getMap(FAILURES);
        this.bans = hz.getMap(BANS);
        this.windows = hz.getMap(WINDOWS);
        this.windowMillis = authWindow.toMillis();
    }

    // ---- failed authentications ----

    @Override
    public int failures(String key) {
        long[] f = failures.get(key);
        if (f == null || System.currentTimeMillis() - f[1] > windowMillis) {
            return 0;
        }
        return (int) f[0];
    }

    @Override
    public boolean fail(String key, int banAt) {
        Long until = failures.executeOnKey(key, new Fail(banAt, windowMillis));
        if (until == null || until == 0) {
            return false;
        }
        long ttl = until - System.currentTimeMillis();
        if (ttl > 0) {
            bans.set(key, until, ttl, TimeUnit.MILLISECONDS);
        }
        return true;
    }

    @Override
    public boolean banned(String key) {
        long[] f = failures.get(key);
        return f != null && f[2] > System.currentTimeMillis();
    }

    @Override
    public List<AuthThrottle.Ban> bans() {
        long now = System.currentTimeMillis();
        List<AuthThrottle.Ban> out = new ArrayList<>();
        for (Map.Entry<String, Long> e : bans.entrySet()) {
            if (e.getValue() > now) {
                out.add(new AuthThrottle.Ban(e.getKey(), Instant.ofEpochMilli(e.getValue())));
            }
        }
        return out;
    }

    /**
     * One failure: the window restarts when it is over; at {@code banAt} (if &gt; 0, and not banned already) the
     * key is banned for a window and its count starts again. Returns the ban's end, or 0 when this failure did
     * not ban. The entry lives until both its window and its ban are over.
     */
    record Fail(int banAt, long windowMillis) implements EntryProcessor<String, long[], Long> {
        @Override
        public Long process(Map.Entry<String, long[]> entry) {
            long now = System.currentTimeMillis();
            long[] f = entry.getValue() == null ? new long[3] : entry.getValue().clone();
            if (f[0] > 0 && now - f[1] > windowMillis) {
                f[0] = 0;
            }
            if (f[0] == 0) {
                f[1] = now;
            }
            f[0]++;
            long banned = 0;
            if (banAt > 0 && f[0] >= banAt && f[2] <= now) {
                f[2] = now + windowMillis;
                f[0] = 0;
                banned = f[2];
            }
            long ttl = Math.max(f[1] + windowMillis, f[2]) - now;
            ((ExtendedMapEntry<String, long[]>) entry).setValue(f, Math.max(1, ttl), TimeUnit.MILLISECONDS);
            return banned;
        }
    }

    // ---- registrations per address ----

    @Override
    public long take(String key, int max, Duration window) {
        Long slot = windows.executeOnKey(key, new Take(max, window.toMillis()));
        return slot == null ? -1 : slot;
    }

    @Override
    public void release(String key, long slot) {
        windows.executeOnKey(key, new Release(slot));
    }

    /** Takes a slot unless {@code max} are in the window; the entry lives as long as its newest slot counts. */
    record Take(int max, long windowMillis) implements EntryProcessor<String, long[], Long> {
        @Override
        public Long process(Map.Entry<String, long[]> entry) {
            long now = System.currentTimeMillis();
            long[] times = entry.getValue() == null ? new long[0] : entry.getValue();
            int from = 0;
            while (from < times.length && times[from] < now - windowMillis) {
                from++;
            }
            if (times.length - from >= max) {
                return -1L;
            }
            long[] next = Arrays.copyOfRange(times, from, times.length + 1);
            next[next.length - 1] = now;
            ((ExtendedMapEntry<String, long[]>) entry).setValue(next, windowMillis, TimeUnit.MILLISECONDS);
            return now;
        }
    }

    /** Gives one slot back (the newest with that time); the entry goes when none is left. */
    record Release(long slot) implements EntryProcessor<String, long[], Void> {
        @Override
        public Void process(Map.Entry<String, long[]> entry) {
            long[] times = entry.getValue();
            if (times == null) {
                return null;
            }
            for (int i = times.length - 1; i >= 0; i--) {
                if (times[i] == slot) {
                    long[] next = new long[times.length - 1];
                    System.arraycopy(times, 0, next, 0, i);
                    System.arraycopy(times, i + 1, next, i, times.length - i - 1);
                    if (next.length == 0) {
                        entry.setValue(null);
                    } else {
                        ((ExtendedMapEntry<String, long[]>) entry).setValueWithoutChangingExpiryTime(next);
                    }
                    break;
                }
            }
            return null;
        }
    }
}
