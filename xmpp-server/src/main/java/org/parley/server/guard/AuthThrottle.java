package org.parley.server.guard;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Slows down password guessing (XEP-0205 §4, like ejabberd's mod_fail2ban): failed authentications are
 * counted per client address (IPv6 by /64) and per account within a window of {@code ban}. From the third
 * failure on, the outcome of every further attempt from that address, or on that account, is answered after a
 * delay that doubles with each failure (250 ms up to {@value #MAX_DELAY_MS} ms); after {@code maxFailures}
 * failures from one address, that address is banned for {@code ban}. Accounts are never banned, only delayed,
 * so that an attacker elsewhere cannot lock the owner out. Thread-safe.
 *
 * <p>The counts live in a {@link Ledger}: this node's memory by default, a map every node of a cluster shares
 * once {@link #share} is called (issue 19), so that an attacker spreading attempts over the nodes is counted
 * as on one.
 *
 * <p>Each failure is logged at INFO as {@code authentication failed for '<user>' from <address>}, a line a
 * fail2ban filter can match; the same line is written whether or not the account exists.
 */
public final class AuthThrottle {

    private static final Logger LOG = LoggerFactory.getLogger(AuthThrottle.class);
    static final long MAX_DELAY_MS = 4000;
    private static final int FREE_FAILURES = 2;
    /** Ledger keys: an address key or an account name behind a prefix, so the two never meet. */
    static final String ADDRESS = "ip ";
    static final String ACCOUNT = "user ";

    private final int maxFailures;
    private final Duration window;
    private volatile Ledger ledger;
    /** The latest failures on this node, newest first, for the admin console (issue 20); bounded. */
    private final ArrayDeque<Failure> recent = new ArrayDeque<>();
    static final int RECENT = 100;

    /** A failed authentication: when, from where, on which account name ("" when none was given). */
    public record Failure(Instant at, String address, String account) {
    }

    /** An address (IPv6 by /64) banned until {@code until}. */
    public record Ban(String address, Instant until) {
    }

    /**
     * Where failures are counted, by key, each key in a window that starts with its first failure and lasts
     * {@code window}. Implementations are thread-safe; {@link #fail} is atomic per key.
     */
    public interface Ledger {
        /** Failures under {@code key} in its current window (0 when none). */
        int failures(String key);

        /**
         * Counts one failure under {@code key}. When {@code banAt} &gt; 0 and the count reaches it while the key
         * is not banned, the key is banned for the window from now and its count starts again; returns whether
         * this failure banned it.
         */
        boolean fail(String key, int banAt);

        /** Whether {@code key} is banned right now. */
        boolean banned(String key);

        /** The keys banned right now (with the prefix they were counted under), and until when. */
        List<Ban> bans();
    }

    public AuthThrottle(int maxFailures, Duration ban) {
        this.maxFailures = maxFailures;
        this.window = ban;
        this.ledger = new LocalLedger(ban);
    }

    /** Counts from now on in {@code shared} (a cluster's ledger) instead of this node's memory. */
    public void share(Ledger shared) {
        this.ledger = shared;
    }

    /** How long a window, and a ban, lasts ({@code limits.guard.auth-ban}). */
    public Duration window() {
        return window;
    }

    /** Whether {@code address} is banned right now. */
    public boolean banned(String address) {
        return ledger.banned(ADDRESS + AddressKey.of(address));
    }

    /**
     * How long to wait before answering an attempt from {@code address} on {@code account} (null when the
     * mechanism did not get as far as a name), in milliseconds.
     */
    public long delayMillis(String address, String account) {
        Ledger l = ledger;
        int failures = l.failures(ADDRESS + AddressKey.of(address));
        if (account != null) {
            failures = Math.max(failures, l.failures(ACCOUNT + account));
        }
        return delayFor(failures);
    }

    static long delayFor(int failures) {
        if (failures <= FREE_FAILURES) {
            return 0;
        }
        int doublings = Math.min(failures - FREE_FAILURES - 1, 10);
        return Math.min(MAX_DELAY_MS, 250L << doublings);
    }

    /** Records a failed attempt; returns true if {@code address} is banned from now on. */
    public boolean failed(String address, String account) {
        String key = AddressKey.of(address);
        synchronized (recent) {
            recent.addFirst(new Failure(Instant.now(), address, account == null ? "" : account));
            if (recent.size() > RECENT) {
                recent.removeLast();
            }
        }
        LOG.info("authentication failed for '{}' from {}", account == null ? "" : account, address);
        Ledger l = ledger;
        if (account != null) {
            l.fail(ACCOUNT + account, 0);
        }
        if (l.fail(ADDRESS + key, maxFailures)) {
            LOG.info("address {} banned for {} s after {} failed authentications", key, window.toSeconds(),
                    maxFailures);
            return true;
        }
        return false;
    }

    /** The latest failed authentications on this node, newest first (at most {@value #RECENT}). */
    public List<Failure> recentFailures() {
        synchronized (recent) {
            return List.copyOf(recent);
        }
    }

    /** The addresses banned right now (in a cluster: by any node). */
    public List<Ban> bans() {
        List<Ban> out = new ArrayList<>();
        for (Ban b : ledger.bans()) {
            if (b.address().startsWith(ADDRESS)) {
                out.add(new Ban(b.address().substring(ADDRESS.length()), b.until()));
            }
        }
        return out;
    }

    /** The ledger of a server running alone: this node's memory, on {@link System#nanoTime()}. */
    static final class LocalLedger implements Ledger {
        private final long windowNanos;
        private final ConcurrentHashMap<String, Failures> counts = new ConcurrentHashMap<>();
        private final AtomicInteger recorded = new AtomicInteger();

        LocalLedger(Duration window) {
            this.windowNanos = window.toNanos();
        }

        private final class Failures {
            int count;
            long since;
            long bannedUntil;

            synchronized int current(long now) {
                if (count > 0 && now - since > windowNanos) {
                    count = 0;
                }
                return count;
            }

            synchronized boolean banned(long now) {
                return bannedUntil != 0 && now - bannedUntil < 0;
            }

            synchronized int add(long now) {
                if (current(now) == 0) {
                    since = now;
                }
                return ++count;
            }

            synchronized boolean idle(long now) {
                return current(now) == 0 && !banned(now);
            }
        }

        @Override
        public int failures(String key) {
            Failures f = counts.get(key);
            return f == null ? 0 : f.current(System.nanoTime());
        }

        @Override
        public boolean fail(String key, int banAt) {
            long now = System.nanoTime();
            if (recorded.incrementAndGet() % 1024 == 0) {
                counts.values().removeIf(f -> f.idle(now));
            }
            Failures f = counts.computeIfAbsent(key, k -> new Failures());
            synchronized (f) {
                if (f.add(now) >= banAt && banAt > 0 && !f.banned(now)) {
                    f.bannedUntil = now + windowNanos;
                    f.count = 0;
                    return true;
                }
            }
            return false;
        }

        @Override
        public boolean banned(String key) {
            Failures f = counts.get(key);
            return f != null && f.banned(System.nanoTime());
        }

        @Override
        public List<Ban> bans() {
            long now = System.nanoTime();
            Instant wall = Instant.now();
            List<Ban> out = new ArrayList<>();
            counts.forEach((key, f) -> {
                synchronized (f) {
                    if (f.banned(now)) {
                        out.add(new Ban(key, wall.plusNanos(f.bannedUntil - now)));
                    }
                }
            });
            return out;
        }
    }
}
