package org.parley.server.guard;

import java.time.Duration;
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
 * <p>Each failure is logged at INFO as {@code authentication failed for '<user>' from <address>}, a line a
 * fail2ban filter can match; the same line is written whether or not the account exists.
 */
public final class AuthThrottle {

    private static final Logger LOG = LoggerFactory.getLogger(AuthThrottle.class);
    static final long MAX_DELAY_MS = 4000;
    private static final int FREE_FAILURES = 2;

    private final int maxFailures;
    private final long windowNanos;
    private final ConcurrentHashMap<String, Failures> byAddress = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Failures> byAccount = new ConcurrentHashMap<>();
    private final AtomicInteger recorded = new AtomicInteger();
    /** The latest failures, newest first, for the admin console (issue 20); bounded. */
    private final java.util.ArrayDeque<Failure> recent = new java.util.ArrayDeque<>();
    static final int RECENT = 100;

    /** A failed authentication: when, from where, on which account name ("" when none was given). */
    public record Failure(java.time.Instant at, String address, String account) {
    }

    /** An address (IPv6 by /64) banned until {@code until}. */
    public record Ban(String address, java.time.Instant until) {
    }

    public AuthThrottle(int maxFailures, Duration ban) {
        this.maxFailures = maxFailures;
        this.windowNanos = ban.toNanos();
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

    /** Whether {@code address} is banned right now. */
    public boolean banned(String address) {
        Failures f = byAddress.get(AddressKey.of(address));
        return f != null && f.banned(System.nanoTime());
    }

    /**
     * How long to wait before answering an attempt from {@code address} on {@code account} (null when the
     * mechanism did not get as far as a name), in milliseconds.
     */
    public long delayMillis(String address, String account) {
        long now = System.nanoTime();
        int failures = count(byAddress, AddressKey.of(address), now);
        if (account != null) {
            failures = Math.max(failures, count(byAccount, account, now));
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

    private static int count(ConcurrentHashMap<String, Failures> map, String key, long now) {
        Failures f = map.get(key);
        return f == null ? 0 : f.current(now);
    }

    /** Records a failed attempt; returns true if {@code address} is banned from now on. */
    public boolean failed(String address, String account) {
        long now = System.nanoTime();
        if (recorded.incrementAndGet() % 1024 == 0) {
            byAddress.values().removeIf(f -> f.idle(now));
            byAccount.values().removeIf(f -> f.idle(now));
        }
        String key = AddressKey.of(address);
        synchronized (recent) {
            recent.addFirst(new Failure(java.time.Instant.now(), address, account == null ? "" : account));
            if (recent.size() > RECENT) {
                recent.removeLast();
            }
        }
        LOG.info("authentication failed for '{}' from {}", account == null ? "" : account, address);
        if (account != null) {
            byAccount.computeIfAbsent(account, k -> new Failures()).add(now);
        }
        Failures f = byAddress.computeIfAbsent(key, k -> new Failures());
        synchronized (f) {
            if (f.add(now) >= maxFailures && !f.banned(now)) {
                f.bannedUntil = now + windowNanos;
                f.count = 0;
                LOG.info("address {} banned for {} s after {} failed authentications", key,
                        windowNanos / 1_000_000_000L, maxFailures);
                return true;
            }
        }
        return false;
    }

    /** The latest failed authentications, newest first (at most {@value #RECENT}). */
    public java.util.List<Failure> recentFailures() {
        synchronized (recent) {
            return java.util.List.copyOf(recent);
        }
    }

    /** The addresses banned right now. */
    public java.util.List<Ban> bans() {
        long now = System.nanoTime();
        java.time.Instant wall = java.time.Instant.now();
        java.util.List<Ban> out = new java.util.ArrayList<>();
        byAddress.forEach((key, f) -> {
            synchronized (f) {
                if (f.banned(now)) {
                    out.add(new Ban(key, wall.plusNanos(f.bannedUntil - now)));
                }
            }
        });
        return out;
    }
}
